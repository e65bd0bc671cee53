"""Train a model from its recipe, or a task on your own files.

    python -m training char-lstm-shakespeare            # runs/char-lstm-shakespeare/
    python -m training char-lstm-shakespeare --publish  # and replace zoo/pretrained/<name>/
    python -m training training/recipes/my.toml --epochs 3 --distribute mirrored
    python -m training sentiment --data reviews.csv --from sentiment-sst2 --out my-model

Run the same command again after a kill and training resumes from the last
finished epoch. Several machines: set TF_CONFIG on each worker (see README,
"Training on several machines") and pass --distribute multi-worker.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def parse_args(argv):
    from training.core.fit import STRATEGIES

    parser = argparse.ArgumentParser(
        prog="python -m training",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("recipe", nargs="?", help="recipe name or .toml path; with --data, a task")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    parser.add_argument("--run-dir", type=Path, help="default: runs/<recipe name>")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder of the corpus file (default: $ZOO_DATA_DIR, else ../shared/data)",
    )
    parser.add_argument(
        "--source", choices=("file", "tfds"), help="override the recipe's data source"
    )
    parser.add_argument("--epochs", type=int, help="override the recipe's epoch count")
    parser.add_argument("--distribute", choices=STRATEGIES, default="none")
    parser.add_argument(
        "--mixed-precision",
        action="store_true",
        help="mixed_float16 compute (for GPUs; slow on CPU)",
    )
    parser.add_argument(
        "--publish", action="store_true", help="also write the package to zoo/pretrained/<name>/"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--package-only",
        action="store_true",
        help="write the package of a finished run from its best weights; no training",
    )
    add_data_arguments(parser)
    args = parser.parse_args(argv)
    if not args.list and not args.recipe:
        parser.error("give a recipe (or --list)")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be >= 1")
    return args


def add_data_arguments(parser):
    """Your own data: each flag sets one key of the task's recipe, so a
    task that has no such key refuses the flag by name."""
    g = parser.add_argument_group("your own data (the positional argument names a task)")
    g.add_argument("--data", nargs="+", metavar="FILE", help="training files")
    g.add_argument("--validation", nargs="+", metavar="FILE", help="default: a seeded share")
    g.add_argument("--test", nargs="+", metavar="FILE", help="scored on the card if given")
    g.add_argument("--validation-share", type=float, help="held out of --data (default 0.1)")
    g.add_argument("--text-column", help="a table's text column (text; captions: caption)")
    g.add_argument("--label-column", help="a table's label column (default: label)")
    g.add_argument("--image-column", help="a captions table's image column (default: image)")
    g.add_argument("--label-map", help="FILE_LABEL=MODEL_LABEL,... e.g. 0=negative,1=positive")
    g.add_argument("--source-column", type=int, help="a TSV's source column (default 0)")
    g.add_argument("--target-column", type=int, help="a TSV's target column (default 1)")
    g.add_argument("--aligned", action="store_true", help="--data SOURCES TARGETS, line by line")
    g.add_argument("--from", dest="fine_tune", help="a model (name or package) to fine-tune")
    g.add_argument("--new-head", action="store_true", help="--from, for another label set")
    g.add_argument("--patience", type=int, help="stop after N epochs without a better val_loss")
    g.add_argument("--batch-size", type=int)
    g.add_argument("--vgg-weights", type=absolute, help="VGG19 notop weights (caption, fast-style)")
    g.add_argument("--name", help="the package's name (default: --out's, else TASK-FILE)")
    g.add_argument("--out", type=Path, help="also write the package here")


def absolute(path):
    return str(Path(path).resolve())


# flag -> (recipe section, key)
DATA_FLAGS = {
    "data": ("data", "files"),
    "validation": ("data", "validation_files"),
    "test": ("data", "test_files"),
    "validation_share": ("data", "validation_share"),
    "text_column": ("data", "text_column"),
    "label_column": ("data", "label_column"),
    "image_column": ("data", "image_column"),
    "label_map": ("data", "label_map"),
    "source_column": ("data", "source_column"),
    "target_column": ("data", "target_column"),
    "aligned": ("data", "aligned"),
    "batch_size": ("data", "batch_size"),
    "vgg_weights": ("data", "vgg_weights"),
    "fine_tune": ("train", "fine_tune"),
    "new_head": ("train", "new_head"),
    "patience": ("train", "patience"),
}


def recipe_for_files(task, args, argv):
    """The recipe `python -m training TASK --data FILES ...` means."""
    from training.core.recipe import merge, task_module
    from training.data.user_files import parse_label_map

    given = {"data": {}, "train": {}}
    for flag, (section, key) in DATA_FLAGS.items():
        value = getattr(args, flag)
        if value not in (None, False):
            given[section][key] = parse_label_map(value) if flag == "label_map" else value
    name = args.name or (args.out and args.out.name) or f"{task}-{Path(args.data[0]).stem}"
    defaults = task_module(task).DEFAULTS
    recipe = merge(defaults, {"name": name, "task": task, **given}, where=f"{task} --data")
    return {**recipe, "path": "", "command": "zoo train " + " ".join(argv)}


def main(argv=None):
    import zoo  # noqa: F401  (first: a quiet TensorFlow start, zoo.startup)

    args = parse_args(argv)
    from training.core.packaging import PRETRAINED
    from training.core.recipe import list_recipes, load_recipe, task_module

    if args.list:
        print("\n".join(list_recipes()))
        return 0
    try:
        if args.data:
            recipe = recipe_for_files(args.recipe, args, sys.argv[1:] if argv is None else argv)
        else:
            recipe = load_recipe(args.recipe)
        if args.source:
            recipe["data"]["source"] = args.source
        run_dir = args.run_dir or Path("runs") / recipe["name"]
        publish_to = PRETRAINED / recipe["name"] if args.publish else args.out
        # Imported when picked: fast-style alone also runs where TensorFlow is absent.
        task = task_module(recipe["task"])
        if args.package_only:
            _, card = task.package_run(recipe, run_dir, args.data_dir, args.epochs, publish_to)
        else:
            _, card = task.train(
                recipe,
                run_dir,
                data_dir=args.data_dir,
                epochs=args.epochs,
                distribute=args.distribute,
                mixed_precision=args.mixed_precision,
                publish_to=publish_to,
                verbose=0 if args.quiet else 1,
            )
    except (OSError, ValueError, RuntimeError) as error:
        print(f"python -m training: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        from training.core import multi_worker

        if args.distribute != "multi-worker" or not multi_worker.lost_peer(error):
            raise
        print(f"python -m training: {multi_worker.LOST_PEER_MESSAGE}", file=sys.stderr)
        return 3
    print(f"{task.summary(card)}; package in {run_dir / 'model'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
