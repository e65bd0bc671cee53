"""The `zoo` command: a thin dispatcher.

    zoo list                                   the shipped models
    zoo generate char-lstm-shakespeare --prompt "ROMEO:" --length 300 --seed 0
    zoo translate date-normalizer "Tuesday, March 3rd 2015" [--beam-width 4] [--plot a.png]
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
    sub = p.add_subparsers(required=True, metavar="{list,generate,translate,train}")
    sub.add_parser("list", help="list the shipped models").set_defaults(run=run_list)
    g = sub.add_parser("generate", help="continue a prompt with a character LM")
    g.add_argument("model", help="a shipped model name, e.g. char-lstm-shakespeare")
    g.add_argument("--prompt", default="", help="text to continue")
    g.add_argument("--length", type=int, default=300, help="characters to generate")
    g.add_argument("--temperature", type=float, default=0.8)
    g.add_argument("--top-k", type=int)
    g.add_argument("--seed", type=int, help="fix for reproducible text")
    g.set_defaults(run=run_generate)
    t = sub.add_parser("translate", help="rewrite texts with a seq2seq model")
    t.add_argument("model", help="a shipped model name, e.g. date-normalizer")
    t.add_argument("texts", nargs="+", help="one or more texts")
    t.add_argument("--beam-width", type=int, default=1, help="1 = greedy")
    t.add_argument("--plot", help="save the attention heatmap of the first text (PNG)")
    t.set_defaults(run=run_translate)
    sub.add_parser("train", help="train from a recipe (python -m training --help)")
    return p


def run_list(args):
    import zoo

    for card in zoo.list_models():
        figure = headline(card.get("metrics", {}))
        print(f"{card['name']:<28} {card['task']:<10} {card['parameters']:>9,} params  {figure}")
    return 0


def headline(metrics):
    """The card's main test figure, in words."""
    if "bits_per_char" in metrics.get("test", {}):
        return f"{metrics['test']['bits_per_char']:.3f} bits/char (test)"
    if "test_exact_match" in metrics:
        return f"{metrics['test_exact_match']:.2%} exact match (test)"
    return ""


def run_generate(args):
    import zoo

    try:
        model = zoo.load(args.model)
        if not hasattr(model, "generate"):
            raise ValueError(f"{args.model} is not a language model; try `zoo translate`")
        text = model.generate(args.prompt, args.length, args.temperature, args.top_k, args.seed)
    except (LookupError, ValueError, TypeError) as error:
        print(f"zoo generate: {error}", file=sys.stderr)
        return 2
    print(args.prompt + text)
    return 0


def run_translate(args):
    import zoo
    from zoo.plots import attention_heatmap

    try:
        model = zoo.load(args.model)
        if not hasattr(model, "translate"):
            raise ValueError(f"{args.model} is not a seq2seq model; try `zoo generate`")
        outputs, weights = model.translate(
            args.texts, beam_width=args.beam_width, return_attention=True
        )
    except (LookupError, ValueError, TypeError) as error:
        print(f"zoo translate: {error}", file=sys.stderr)
        return 2
    for output in outputs:
        print(output)
    if args.plot:
        attention_heatmap(weights[0], args.texts[0], outputs[0], args.plot, title=args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
