"""The `zoo` command: a thin dispatcher.

    zoo list                                   the shipped models
    zoo generate char-lstm-shakespeare --prompt "ROMEO:" --length 300 --seed 0
    zoo train char-lstm-shakespeare [...]      = python -m training ...

DESIGN.md lets this module alone reach across packages: `zoo train`
imports `training` only when it runs (and later `zoo export` / `zoo serve`
import `exports` / `serving` the same way).
"""

import argparse
import importlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Subcommands owned by other packages: name -> module whose main(argv) runs it.
DELEGATED = {"train": "training.__main__"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:
        return importlib.import_module(DELEGATED[argv[0]]).main(argv[1:])
    args = parser().parse_args(argv)
    return args.run(args)


def parser():
    p = argparse.ArgumentParser(prog="zoo", description="Zoo model zoo command line.")
    sub = p.add_subparsers(required=True, metavar="{list,generate,train}")
    sub.add_parser("list", help="list the shipped models").set_defaults(run=run_list)
    g = sub.add_parser("generate", help="continue a prompt with a character LM")
    g.add_argument("model", help="a shipped model name, e.g. char-lstm-shakespeare")
    g.add_argument("--prompt", default="", help="text to continue")
    g.add_argument("--length", type=int, default=300, help="characters to generate")
    g.add_argument("--temperature", type=float, default=0.8)
    g.add_argument("--top-k", type=int)
    g.add_argument("--seed", type=int, help="fix for reproducible text")
    g.set_defaults(run=run_generate)
    sub.add_parser("train", help="train from a recipe (python -m training --help)")
    return p


def run_list(args):
    import zoo

    for card in zoo.list_models():
        test = card.get("metrics", {}).get("test", {})
        figure = f"{test['bits_per_char']:.3f} bits/char (test)" if "bits_per_char" in test else ""
        print(f"{card['name']:<28} {card['task']:<10} {card['parameters']:>9,} params  {figure}")
    return 0


def run_generate(args):
    import zoo

    try:
        model = zoo.load(args.model)
        text = model.generate(args.prompt, args.length, args.temperature, args.top_k, args.seed)
    except (LookupError, ValueError, TypeError) as error:
        print(f"zoo generate: {error}", file=sys.stderr)
        return 2
    print(args.prompt + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
