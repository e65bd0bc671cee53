"""Every shipped model's public answers on fixed inputs of our own, recorded
to a file and compared with a later run: what a refactor must leave alone.

    python -m benchmarks.behaviour record before.npz   # on the old code
    python -m benchmarks.behaviour compare before.npz  # on the new code

Strings must be equal, probabilities and scores within 1e-5, images within
one level. Sampled text (temperature > 0) is recorded under names holding
`sampled`, reported apart: a change of sampler may change it once.
Records stay outside the repository (they are outputs, not fixtures).
"""

import argparse
import json
import sys

import numpy as np

import zoo
from training.data.text_data import data_dir
from zoo.images import read_image

PROMPTS = ["KING HENRY:\n", "Thou art", ""]
DATES = ["the 4th of July, 1976", "12/25/2001", "Sunday 1 Jan 2023", "3.7.96", "MAR 9 1999"]
SPANISH = ["Mañana vamos al mercado.", "¿Quién escribió este libro?", "No tengo tiempo."]
REVIEWS = ["An utterly joyless slog.", "Not bad at all, really.", "I loved every minute!"]


def photos(size):
    """Two of the shared content photos, shrunk to `size` on the longer side."""
    from PIL import Image

    images = []
    for name in ("chelsea.jpg", "rocket.jpg"):
        image = Image.fromarray(read_image(data_dir() / "content" / name))
        image.thumbnail((size, size))
        images.append(np.asarray(image))
    return images


def answers(model):
    """{key: str | list | array} of one model's public API on fixed inputs."""
    out = {}
    if hasattr(model, "generate"):
        for i, prompt in enumerate(PROMPTS):
            out[f"greedy{i}"] = model.generate(prompt, 80, temperature=0)
            out[f"top_k{i}_sampled"] = model.generate(prompt, 80, temperature=0.7, top_k=5, seed=i)
            out[f"sampled{i}"] = model.generate(prompt, 80, temperature=1.0, seed=i)
        out["nats"] = np.float64(model.nats_per_char("Now is the winter of our discontent."))
    elif hasattr(model, "translate"):
        texts = SPANISH if model.card["dataset"]["source"] == "anki" else DATES
        for width in (1, 4):
            out[f"beam{width}"] = model.translate(texts, beam_width=width)
        words, weights = model.translate(texts[:1], return_attention=True)
        out["attention_text"], out["attention"] = words, np.asarray(weights[0])
    elif hasattr(model, "predict_proba"):
        out["proba"] = np.asarray(model.predict_proba(REVIEWS))
        out["labels"] = model.classify(REVIEWS)
        tokens, weights = model.explain(REVIEWS[1])
        out["explain_tokens"], out["explain"] = tokens, np.asarray(weights)
    elif hasattr(model, "caption"):
        images = photos(256)
        for width in (1, 3):
            out[f"beam{width}"] = model.caption(images, beam_width=width)
    elif model.card["task"] == "style-transfer":
        content, style = photos(64)
        image, history = model.stylize(content, style, steps=4, size=64, progress=False)
        out["image"], out["losses"] = image, np.asarray(history)
    else:
        out["image"] = model.stylize(photos(160)[0])
    return out


def every_answer():
    """{"<model>/<key>": stored answer} over every shipped model."""
    flat = {}
    for card in zoo.list_models():
        for key, value in answers(zoo.load(card["name"])).items():
            flat[f"{card['name']}/{key}"] = _stored(value)
        print(card["name"], "answered", flush=True)
    return flat


def record(path):
    np.savez(path, **every_answer())


def _stored(value):
    if isinstance(value, str | list | tuple):
        return np.array(json.dumps(value, ensure_ascii=False))
    return np.asarray(value)


def compare(path):
    before, now = np.load(path), every_answer()
    missing = sorted(set(before.files) ^ set(now))
    changed, sampled = [], []
    for key in sorted(set(before.files) & set(now)):
        if not _same(before[key], now[key]):
            (sampled if "sampled" in key else changed).append(key)
    print(
        f"{len(now)} answers: {len(changed)} changed, {len(sampled)} sampled texts changed, "
        f"{len(missing)} only on one side"
    )
    for key in changed + missing:
        print("  differs:", key)
    for key in sampled:
        print("  sampled text differs:", key)
    return 1 if changed or missing else 0


def _same(a, b):
    if a.dtype.kind == "U" or b.dtype.kind == "U":
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.all(a == b))
    if a.shape != b.shape:
        return False
    if a.dtype == np.uint8:
        return int(np.abs(a.astype(int) - b.astype(int)).max(initial=0)) <= 1
    return bool(np.allclose(a, b, rtol=0, atol=1e-5))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.behaviour", description=__doc__)
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("file", help="the .npz record")
    args = parser.parse_args(argv)
    if args.action == "record":
        record(args.file)
        return 0
    return compare(args.file)


if __name__ == "__main__":
    sys.exit(main())
