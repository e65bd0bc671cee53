"""serving/examples/node (onnxruntime-node, reading zoo.json) decodes
to the same strings as serving.OnnxModel in Python, captions of PPM
photos included; its beam search (search.onnx, one call) gives Keras'
translations. Runs where node and npm are installed; its packages
come from the committed lock file."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from serving import OnnxModel

APP = Path(__file__).resolve().parents[2] / "serving" / "examples" / "node"
TEXTS = ["Tuesday, March 3rd 2015", "1 Feb 2003", "on 31.12.99 at noon", "le 14 juillet 1789"]
PROMPTS = [("ROMEO:", 120), ("", 40), ("Naïve ✓ text", 30)]

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not (shutil.which("node") and shutil.which("npm")), reason="node and npm are not installed"
    ),
]


@pytest.fixture(scope="module")
def node():
    if not (APP / "node_modules" / "onnxruntime-node").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=APP,
            check=True,
            capture_output=True,
            timeout=600,
        )

    def run(*args):
        done = subprocess.run(
            ["node", "zoo.mjs", *map(str, args)],
            cwd=APP,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


@pytest.mark.parametrize("name", ["char-lstm-shakespeare", "char-rnn-shakespeare"])
def test_node_generates_what_python_onnxruntime_generates(node, exported_models, name):
    directory = exported_models[1][name]
    python = OnnxModel(directory)
    for prompt, length in PROMPTS:
        want = python.generate(prompt, length, temperature=0)
        assert node("generate", directory, prompt, length)["text"] == want


def test_node_samples_what_python_samples_for_a_seed(node, exported_models):
    """The seeded draw (zoo_runtime.search.sample) in JavaScript: BigInt
    splitmix64 and float32 arithmetic give Python's text, and another seed
    another text (the seed is used, not ignored)."""
    directory = exported_models[1]["char-rnn-shakespeare"]
    python = OnnxModel(directory)
    texts = {}
    for seed in (0, 7, -3, 2**62 + 5):
        want = python.generate("ROMEO:", 60, temperature=0.8, seed=seed)
        texts[seed] = node("generate", directory, "ROMEO:", 60, 0.8, seed)["text"]
        assert texts[seed] == want, seed
    assert len(set(texts.values())) == 4


def test_node_blocks_repeats_as_python_does(node, exported_models):
    """Greedy char-lstm loops within 150 characters of "ROMEO:"; with
    --no-repeat N Node writes Python's blocked text, greedy (N = 8) and
    sampled (N = 4: a sample holds few repeated 8-grams)."""
    directory = exported_models[1]["char-lstm-shakespeare"]
    python = OnnxModel(directory)
    for temperature, seed, n in ((0, 0, 8), (0.8, 5, 4), (0, 0, 1)):  # n = 1 gives way at 65
        want = python.generate("ROMEO:", 150, temperature, seed=seed, no_repeat_ngram_size=n)
        assert want != python.generate("ROMEO:", 150, temperature, seed=seed)  # the block acts
        got = node("generate", directory, "--no-repeat", n, "ROMEO:", 150, temperature, seed)
        assert got["text"] == want, temperature


# Accents, ¿¡, numbers, unseen words and characters, separator runs.
SPANISH = [
    "¿Dónde está la estación?",
    "¡Tengo 3 gatos y 12 perros!",
    "El ornitorrinco desayuna.",
    "Tom   no\tquería ☃ hacerlo…",
    "Ella dijo: «sí» 😀.",
]


@pytest.mark.parametrize(
    "name", ["date-normalizer", "date-normalizer-no-attention", "translate-spa-eng"]
)
def test_node_translates_what_python_onnxruntime_translates(node, exported_models, name):
    directory = exported_models[1][name]
    texts = SPANISH if name == "translate-spa-eng" else TEXTS
    got = node("translate", directory, *texts)
    outputs, scores = OnnxModel(directory).translate(texts, return_log_prob=True)
    assert got["outputs"] == outputs
    np.testing.assert_allclose(got["log_prob_per_token"], scores, atol=1e-5)


@pytest.mark.parametrize("name", ["date-normalizer", "translate-spa-eng"])
def test_node_beam_search_gives_kerass_translations(node, exported_models, name):
    import zoo

    directory = exported_models[1][name]
    texts = SPANISH if name == "translate-spa-eng" else TEXTS
    model = zoo.load(name)
    searches = ((3, 0.0, 0), (5, 0.0, 0), (3, 0.6, 0), (3, 0.0, 2), (1, 0.0, 1), (5, None, None))
    for beam, penalty, n in searches:  # None: the model's default, zoo.json's in Node
        flags = ["--beam", beam]
        flags += [] if penalty is None else ["--length-penalty", penalty, "--no-repeat", n]
        got = node("translate", directory, *flags, *texts)
        want = model.translate(
            texts, beam, length_penalty=penalty, return_log_prob=True, no_repeat_ngram_size=n
        )
        assert got["outputs"] == want[0]
        np.testing.assert_allclose(got["log_prob_per_token"], want[1], atol=1e-3)
    done = subprocess.run(
        ["node", "zoo.mjs", "translate", str(directory), "--beam", "17", "Hola."],
        cwd=APP,
        capture_output=True,
        text=True,
    )
    most = json.loads((directory / "zoo.json").read_text())["search"]["max_beam_width"]
    assert done.returncode == 2 and f"beam width must be at most {most}, got 17" in done.stderr


def test_node_reads_the_subword_ids_python_reads(node, exported_models):
    import zoo

    directory = exported_models[1]["translate-spa-eng"]
    keras_model = zoo.load("translate-spa-eng")
    got = node("source-ids", directory, *SPANISH)["ids"]
    assert got == [keras_model.source.encode(text).tolist() for text in SPANISH]


REVIEWS = ["A wonderful, moving film!", "Dull<br />and TEDIOUS; I didn’t care.", "café 😀 naïve"]


def test_node_classifies_what_python_onnxruntime_classifies(node, exported_models):
    directory = exported_models[1]["sentiment-imdb"]
    python = OnnxModel(directory)
    got = node("classify", directory, *REVIEWS)
    np.testing.assert_allclose(got["probabilities"], python.predict_proba(REVIEWS), atol=1e-6)
    assert got["labels"] == python.classify(REVIEWS)
    for text, tokens, weights in zip(REVIEWS, got["tokens"], got["weights"], strict=True):
        want_tokens, want_weights = python.explain(text)
        assert tokens == want_tokens
        np.testing.assert_allclose(weights, want_weights, atol=1e-6)


def test_node_refuses_a_damaged_graph(node, exported_models, tmp_path):
    copy = shutil.copytree(exported_models[1]["char-rnn-shakespeare"], tmp_path / "1")
    (copy / "model.onnx").write_bytes((copy / "model.onnx").read_bytes()[:-10])
    done = subprocess.run(
        ["node", "zoo.mjs", "generate", str(copy), "a", "5"],
        cwd=APP,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "does not match its sha256" in done.stderr


def test_node_captions_what_python_onnxruntime_captions(node, captioner_export, tmp_path):
    from PIL import Image

    from training.data.text_data import data_dir

    folder = data_dir() / "flickr8k"
    names = (folder / "test_images.txt").read_text().split()[:2]
    photos = [np.asarray(Image.open(folder / "images" / n).convert("RGB")) for n in names]
    photos[1] = np.asarray(Image.fromarray(photos[1]).resize((150, 100)))  # another size
    paths = []
    for i, photo in enumerate(photos):
        paths.append(tmp_path / f"{i}.ppm")
        Image.fromarray(photo).save(paths[-1])  # binary PPM (P6)
    directory = captioner_export[2]
    python = OnnxModel(directory)
    assert node("caption", directory, *paths)["captions"] == python.caption(photos, beam_width=1)
    want = python.caption(photos, beam_width=3)
    assert node("caption", directory, "--beam", 3, *paths)["captions"] == want
    (tmp_path / "bad.ppm").write_bytes(b"P6\n4 4\n255\n" + bytes(10))
    done = subprocess.run(
        ["node", "zoo.mjs", "caption", str(directory), str(tmp_path / "bad.ppm")],
        cwd=APP,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "truncated" in done.stderr


def test_node_prints_its_usage_without_arguments_and_refuses_a_bad_command(node):
    for args, code, stream in (
        ([], 0, "stdout"),
        (["--help"], 0, "stdout"),
        (["nope", "x"], 2, "stderr"),
    ):
        done = subprocess.run(
            ["node", "zoo.mjs", *args], cwd=APP, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == code, done.stderr
        assert getattr(done, stream).startswith("usage: node zoo.mjs generate DIR"), done


def test_node_classifies_with_three_labels_as_python_does(node, tmp_path):
    """A classifier zoo train made for three labels: a softmax row per text."""
    from exports.exporter import export
    from tests.zoo.helpers import randomize
    from zoo.models import TextClassifier
    from zoo.words import WordVocabulary

    vocabulary = WordVocabulary.from_texts(REVIEWS, 30, 1).tokens
    model = TextClassifier(vocabulary, labels=("bad", "fine", "good"), units=6, embedding_dim=5)
    model.build()
    randomize(model, np.random.default_rng(4))
    directory = export(model, tmp_path, formats=("onnx",), name="three")
    got = node("classify", directory, *REVIEWS)
    np.testing.assert_allclose(got["probabilities"], model.predict_proba(REVIEWS), atol=1e-5)
    assert got["labels"] == model.classify(REVIEWS)
