"""python -m exports MODEL [MODEL ...] --out exports/ (= zoo export ...)."""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None):
    args = parser().parse_args(argv)
    import zoo  # noqa: F401  (a quiet TensorFlow start: zoo.startup)
    from exports.exporter import DEFAULT_FORMATS, export
    from exports.verify import VerificationError

    formats = tuple(args.formats.split(",")) if args.formats else DEFAULT_FORMATS
    if args.quantize and not args.formats:
        formats = ("onnx",)
    for name in args.models:
        try:
            model, int8 = quantized(with_vgg_weights(name, args.vgg_weights), args.quantize)
            directory = export(
                model,
                args.out,
                formats,
                check=not args.no_verify,
                models_config=args.models_config,
                labels=args.label,
                **int8,
            )
        except (LookupError, ValueError, TypeError, OSError, VerificationError) as error:
            print(f"export {name}: {error}", file=sys.stderr)
            return 2
        print(directory)
    return 0


def quantized(model, scheme):
    """(the model to export, export()'s quantize and judge arguments): with
    a scheme, the model loaded once for both, and its held-out measure as
    judge (training data and metrics, joined with OnnxModel by the zoo
    dispatcher, the one module that may reach across packages)."""
    if not scheme:
        return model, {}
    import zoo
    from zoo.cli import held_out_judge

    if isinstance(model, (str, os.PathLike)):  # a shipped name or a package folder
        model = zoo.registry.load_name_or_path(model)
    return model, {"quantize": scheme, "judge": held_out_judge(model)}


def with_vgg_weights(model, weights):
    """The model to export: its name, or with --vgg-weights the loaded
    model using those weights where it has a VGG19 encoder (a captioner)."""
    if not weights:
        return model
    import zoo

    loaded = zoo.registry.load_name_or_path(model)
    if hasattr(loaded, "vgg_weights"):
        loaded.vgg_weights = weights
    return loaded


def parser():
    p = argparse.ArgumentParser(
        prog="python -m exports",
        description="Export zoo models to a TF Serving directory (SavedModel), ONNX and LiteRT, "
        "verified against Keras; each export is a new integer version.",
    )
    p.add_argument("models", nargs="+", help="shipped model names or package directories")
    p.add_argument("--out", default="exports", help="base directory (default: exports)")
    p.add_argument(
        "--formats",
        help="comma-separated: savedmodel,onnx,litert (default: savedmodel,onnx); litert writes "
        "batch-1 .tflite graphs beside the ONNX ones",
    )
    p.add_argument(
        "--models-config",
        default=os.path.join("serving", "models.config"),
        help="TF Serving model_config_list to regenerate",
    )
    p.add_argument(
        "--label",
        action="append",
        default=[],
        help="a TF Serving version label for the new version (repeatable)",
    )
    p.add_argument(
        "--vgg-weights",
        help="VGG19 notop weights for a captioner's encoder: a file or 'imagenet' "
        "(default: $ZOO_VGG19_WEIGHTS, else Keras' cache or download)",
    )
    p.add_argument("--no-verify", action="store_true", help="skip the parity check")
    p.add_argument(
        "--quantize",
        choices=("int8", "dynamic"),
        help="a quantized version: int8 ONNX (the default format here), or with --formats "
        "litert a dynamic-range or int8 LiteRT one; refused if its held-out metrics drop by "
        "more than 0.5 points (0.02 nats per character); needs the training data ($ZOO_DATA_DIR)",
    )
    return p


if __name__ == "__main__":
    sys.exit(main())
