"""The `zoo` command: a thin dispatcher.

    zoo list                                   the shipped models
    zoo generate char-lstm-shakespeare --prompt "ROMEO:" --length 300 --seed 0
    zoo translate date-normalizer "Tuesday, March 3rd 2015" [--beam-width 4] [--plot a.png]
    zoo classify sentiment-imdb "A wonderful film." [--explain] [--plot words.png]
    zoo caption caption-flickr8k photo.jpg [--beam-width 3] [--plot attention.png]
    zoo stylize style-transfer-vgg19 photo.jpg --style painting.jpg -o out.jpg [--steps 300]
    zoo stylize runs/my-style/model photo.jpg -o out.jpg [--size 1024]  (a trained fast-style net)
    zoo train char-lstm-shakespeare [...]      = python -m training ...
    zoo export date-normalizer --out exports/  = python -m exports ...
    zoo serve --models exports/                = python -m serving ...

DESIGN.md lets this module alone reach across packages: `zoo train` and
`zoo export` / `zoo serve` import `training` / `exports` / `serving` only
when they run.
"""

import argparse
import functools
import importlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Subcommands owned by other packages: name -> module whose main(argv) runs it.
DELEGATED = {
    "train": "training.__main__",
    "export": "exports.__main__",
    "serve": "serving.__main__",
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:
        return importlib.import_module(DELEGATED[argv[0]]).main(argv[1:])
    args = parser().parse_args(argv)
    return args.run(args)


def held_out_judge(model):
    """exports.quantize's judge of `model`: its family's held-out measure
    (training.core.held_out) of the Keras model, or of an export folder
    run by serving.OnnxModel (onnxruntime, or LiteRT for a LiteRT-only
    folder). Here because it joins training and serving."""
    import dataclasses
    from pathlib import Path

    from serving import OnnxModel
    from training.core.held_out import judge_for

    judge = judge_for(model)

    def score(subject):
        if not isinstance(subject, Path):
            return judge.score(subject)
        runtime = "onnxruntime" if any(subject.glob("*.onnx")) else "litert"
        return judge.score(OnnxModel(subject, runtime=runtime))

    return dataclasses.replace(judge, score=score)


def parser():
    p = argparse.ArgumentParser(prog="zoo", description="Zoo model zoo command line.")
    sub = p.add_subparsers(
        required=True,
        metavar="{list,generate,translate,classify,caption,stylize,nearest,train,export,serve}",
    )
    sub.add_parser("list", help="list the shipped models").set_defaults(run=run_list)
    g = sub.add_parser("generate", help="continue a prompt with a character LM")
    g.add_argument("model", help="a shipped model name, e.g. char-lstm-shakespeare")
    g.add_argument("--prompt", default="", help="text to continue")
    g.add_argument("--length", type=int, default=300, help="characters to generate")
    g.add_argument("--temperature", type=float, default=0.8)
    g.add_argument("--top-k", type=int)
    g.add_argument("--seed", type=int, help="fix for reproducible text")
    g.add_argument("--no-repeat", type=int, default=0, help="write no n characters twice (0 = off)")
    g.set_defaults(run=run_generate)
    t = sub.add_parser("translate", help="rewrite texts with a seq2seq model")
    t.add_argument("model", help="a shipped model name, e.g. date-normalizer")
    t.add_argument("texts", nargs="+", help="one or more texts")
    t.add_argument("--beam-width", type=int, default=1, help="1 = greedy")
    t.add_argument(
        "--no-repeat", type=int, help="write no n-gram twice (0 = off; default: the model's)"
    )
    t.add_argument("--plot", help="save the attention heatmap of the first text (PNG)")
    t.set_defaults(run=run_translate)
    c = sub.add_parser("classify", help="label texts with a text classifier")
    c.add_argument("model", help="a shipped model name (e.g. sentiment-imdb) or a package folder")
    c.add_argument("texts", nargs="+", help="one or more texts")
    c.add_argument("--explain", action="store_true", help="also print each token's weight")
    c.add_argument("--plot", help="save a word heatmap of the first text's weights (PNG)")
    c.set_defaults(run=run_classify)
    add_caption(sub)
    add_stylize(sub)
    n = sub.add_parser("nearest", help="the nearest words of words (word vectors)")
    n.add_argument("model", help="a shipped model name (e.g. word2vec-en) or a package folder")
    n.add_argument("words", nargs="+", help="one or more words")
    n.add_argument("-k", type=int, default=10, help="how many neighbours")
    n.add_argument("--analogy", action="store_true", help="read the words as a : b :: c : ?")
    n.set_defaults(run=run_nearest)
    sub.add_parser("train", help="train from a recipe (python -m training --help)")
    sub.add_parser(
        "export", help="export to SavedModel, ONNX and LiteRT (python -m exports --help)"
    )
    sub.add_parser(
        "serve", help="TF-Serving-compatible REST + gRPC server (python -m serving --help)"
    )
    return p


def add_caption(sub):
    c = sub.add_parser(
        "caption",
        help="describe photos in a sentence",
        description="The encoder's VGG19 weights: --vgg-weights, else $ZOO_VGG19_WEIGHTS, "
        "else Keras' cache or its download.",
    )
    c.add_argument("model", help="a shipped captioner, e.g. caption-flickr8k")
    c.add_argument("images", nargs="+", help="photos (JPEG, PNG, ...; any size and mode)")
    c.add_argument("--beam-width", type=int, default=3, help="1 = greedy")
    c.add_argument(
        "--no-repeat", type=int, help="write no n-gram twice (0 = off; default: the model's)"
    )
    c.add_argument("--plot", help="save the first photo's attention, word by word (PNG)")
    c.add_argument("--vgg-weights", help="VGG19 notop weights file, or 'imagenet'")
    c.set_defaults(run=run_caption)


def add_stylize(sub):
    s = sub.add_parser(
        "stylize",
        help="paint a photo in a painting's style",
        description="style-transfer-vgg19: Gatys optimisation against --style, with a "
        "progress bar (VGG19 weights: --vgg-weights, else $ZOO_VGG19_WEIGHTS, else Keras' "
        "cache or its download). A fast-style network you trained (its package folder): "
        "one forward pass.",
    )
    s.add_argument(
        "model", help="style-transfer-vgg19, or the package folder of a fast-style network"
    )
    s.add_argument("content", help="the photo (JPEG, PNG, ...; any mode)")
    s.add_argument("-o", "--output", required=True, help="result file, .jpg or .png")
    s.add_argument("--style", help="the painting (style-transfer-vgg19 only)")
    s.add_argument("--size", type=int, help="longer side of the result in px (Gatys: 512)")
    s.add_argument("--steps", type=int, default=300, help="optimisation steps (Gatys)")
    s.add_argument("--style-weight", type=float, default=1.0, help="beta; alpha/beta = 1e-3/beta")
    s.add_argument("--tv-weight", type=float, help="total-variation weight (Gatys)")
    s.add_argument("--scales", type=int, default=1, help="coarse-to-fine sizes (Gatys)")
    s.add_argument("--init", choices=("content", "noise"), default="content")
    s.add_argument("--vgg-weights", help="VGG19 notop weights file, or 'imagenet'")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(run=run_stylize)


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
    if "test_bleu4_beam3" in metrics:
        bleu, cider = metrics["test_bleu4_beam3"], metrics["test_cider_beam3"]
        return f"BLEU-4 {bleu:.1f}, CIDEr {cider:.1f} (test, beam 3)"
    if "test_bleu_beam5" in metrics:
        return f"BLEU {metrics['test_bleu_beam5']:.1f} (test, beam 5)"
    if "test_accuracy" in metrics:
        return f"{metrics['test_accuracy']:.2%} accuracy (test)"
    if "test_exact_match" in metrics:
        return f"{metrics['test_exact_match']:.2%} exact match (test)"
    if "analogy_accuracy" in metrics:
        return f"{metrics['analogy_accuracy']:.1%} of {metrics['analogy_questions']} analogies"
    if "style_distance_ratio" in metrics:
        return f"style distance {metrics['style_distance_ratio']:.1%} of the photo's"
    if "held_out" in metrics:
        m = metrics["held_out"]
        return (
            f"style distance {m['mean_style']:.1%} of the photo's, largest blob "
            f"{m['max_blob']:.2%} ({m['photos']} held-out photos)"
        )
    return ""


def reports_errors(run):
    """Expected failures (unknown model, bad input, unreadable files) become
    one line on stderr and exit status 2, not a traceback."""

    @functools.wraps(run)
    def wrapper(args):
        try:
            return run(args)
        except (LookupError, ValueError, TypeError, OSError) as error:
            # A KeyError's str() quotes its message; print the message itself.
            said = error.args[0] if isinstance(error, KeyError) and error.args else error
            print(f"zoo {run.__name__.removeprefix('run_')}: {said}", file=sys.stderr)
            return 2

    return wrapper


def load_for(name, method, mismatch):
    """The shipped model `name`, or the package in the directory `name`
    (one zoo train wrote), which must have `method`."""
    from zoo import registry

    model = registry.load_name_or_path(name)
    if not hasattr(model, method):
        raise ValueError(f"{name} is not {mismatch}")
    return model


@reports_errors
def run_generate(args):
    model = load_for(args.model, "generate", "a language model; try `zoo translate`")
    text = model.generate(
        args.prompt, args.length, args.temperature, args.top_k, args.seed, args.no_repeat
    )
    print(args.prompt + text)
    return 0


NO_DATE = "(no date: the input holds a year outside {first}..{last}, or the answer is not a date)"


@reports_errors
def run_translate(args):
    from zoo.plots import attention_heatmap

    model = load_for(args.model, "translate", "a seq2seq model; try `zoo generate`")
    outputs, weights = model.translate(
        args.texts,
        beam_width=args.beam_width,
        return_attention=True,
        no_repeat_ngram_size=args.no_repeat,
    )
    for output in outputs:
        print(output if output is not None else NO_DATE.format(**model.output_check))
    if args.plot and model.tokenizer == "subwords":
        inputs, words, matrix = model.word_alignment(args.texts[0], args.beam_width)
        attention_heatmap(matrix, inputs, words, args.plot, title=args.model, unit="words")
    elif args.plot:
        attention_heatmap(weights[0], args.texts[0], outputs[0] or "", args.plot, title=args.model)
    return 0


@reports_errors
def run_classify(args):
    from zoo.plots import word_heatmap

    model = load_for(args.model, "classify", "a text classifier")
    probs = model.predict_proba(args.texts)
    explained = [model.explain(text) for text in args.texts] if args.explain else []
    for i, (text, label, p) in enumerate(
        zip(args.texts, model.labels_of(probs), probs, strict=True)
    ):
        print(f"{label}\t{p:.4f}\t{text}")
        if explained:
            pairs = zip(*explained[i], strict=True)
            print("\t" + " ".join(f"{t}:{w:.3f}" for t, w in pairs))
    if args.plot:
        tokens, weights = explained[0] if explained else model.explain(args.texts[0])
        word_heatmap(tokens, weights, args.plot, title=f"{args.model}: P = {probs[0]:.3f}")
    return 0


@reports_errors
def run_nearest(args):
    model = load_for(args.model, "nearest", "word vectors")
    if args.analogy:
        if len(args.words) != 3:
            raise ValueError(f"--analogy reads three words a b c, got {len(args.words)}")
        a, b, c = args.words
        print(f"{a} : {b} :: {c} :", _listed(model.analogy(a, b, c, args.k)))
        return 0
    for word in args.words:
        print(f"{word}:", _listed(model.nearest(word, args.k)))
    return 0


def _listed(found):
    return ", ".join(f"{word} ({cosine:.2f})" for word, cosine in found)


@reports_errors
def run_caption(args):
    from zoo.images import read_image
    from zoo.plots import caption_attention

    model = load_for(args.model, "caption", "a captioner")
    model.vgg_weights = args.vgg_weights or model.vgg_weights
    photos = [read_image(path) for path in args.images]
    captions, maps = model.caption(
        photos, args.beam_width, return_attention=True, no_repeat_ngram_size=args.no_repeat
    )
    for path, text in zip(args.images, captions, strict=True):
        print(f"{text}\t{path}" if len(photos) > 1 else text)
    if args.plot:
        caption_attention(photos[0], captions[0].split(), maps[0], args.plot, title=captions[0])
    return 0


@reports_errors
def run_stylize(args):
    from zoo.images import read_image, write_image

    if args.size is not None and args.size < 16:
        raise ValueError("--size must be at least 16")
    model = load_for(args.model, "stylize", "a style-transfer model")
    write_image(args.output, stylize(model, read_image(args.content), args))
    print(args.output)
    return 0


def stylize(model, photo, args):
    from zoo.images import output_format, read_image
    from zoo.models.style_transfer import StyleTransfer, resize_longer

    output_format(args.output)  # a bad name fails before minutes of work
    if not isinstance(model, StyleTransfer):
        if args.style:
            raise ValueError(f"{args.model} paints one style; --style is for style-transfer-vgg19")
        if args.size:
            photo = resize_longer(photo, args.size)
        return model.stylize(fit_pixels(photo, resize_longer))
    if not args.style:
        raise ValueError("style-transfer-vgg19 needs --style PAINTING")
    if args.style_weight <= 0 or args.steps < 1 or args.scales < 1:
        raise ValueError("--style-weight must be > 0, --steps and --scales >= 1")
    model.weights = args.vgg_weights or model.weights
    model.content_style_ratio /= args.style_weight
    if args.tv_weight is not None:
        model.tv_weight = args.tv_weight
    image, _ = model.stylize(
        photo,
        read_image(args.style),
        steps=args.steps,
        size=args.size or 512,
        init=args.init,
        scales=args.scales,
        seed=args.seed,
    )
    return image


def fit_pixels(photo, resize_longer):
    """`photo` shrunk to at most limits.MAX_IMAGE_PIXELS (what one stylize
    call takes, about 3.6 GB of memory at the most), with a notice."""
    from zoo_runtime import limits

    height, width = photo.shape[:2]
    if height * width <= limits.MAX_IMAGE_PIXELS:
        return photo
    side = int(max(height, width) * (limits.MAX_IMAGE_PIXELS / (height * width)) ** 0.5) - 1
    print(
        f"zoo: the photo is {width}x{height}; stylizing it at {side} px on the longer side "
        f"(at most {limits.MAX_IMAGE_PIXELS:,} pixels; --size picks smaller)",
        file=sys.stderr,
    )
    return resize_longer(photo, side)


if __name__ == "__main__":
    sys.exit(main())
