"""Train a model from its recipe.

    python -m training char-lstm-shakespeare            # runs/char-lstm-shakespeare/
    python -m training char-lstm-shakespeare --publish  # and replace zoo/pretrained/<name>/
    python -m training training/recipes/my.toml --epochs 3 --distribute mirrored

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
    parser.add_argument("recipe", nargs="?", help="recipe name or .toml path")
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
    args = parser.parse_args(argv)
    if not args.list and not args.recipe:
        parser.error("give a recipe (or --list)")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    from training.core.packaging import PRETRAINED
    from training.core.recipe import list_recipes, load_recipe, task_module

    if args.list:
        print("\n".join(list_recipes()))
        return 0
    try:
        recipe = load_recipe(args.recipe)
        if args.source:
            recipe["data"]["source"] = args.source
        run_dir = args.run_dir or Path("runs") / recipe["name"]
        publish_to = PRETRAINED / recipe["name"] if args.publish else None
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
