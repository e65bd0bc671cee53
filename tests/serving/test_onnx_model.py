"""serving.OnnxModel runs exported graphs with numpy + onnxruntime only:
in a subprocess where importing tensorflow fails, it gives the Keras
model's strings (greedy and sampled generation, greedy and beam
translation) and images; damaged or wrong artifacts are refused clearly."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
from serving import OnnxModel
from serving.onnx_model import ArtifactError
from tests.conftest import task_of

pytestmark = pytest.mark.system

# The last one: the no-attention model's beam and greedy answers differ.
TEXTS = ["Tuesday, March 3rd 2015", "1 Feb 2003", "on 31.12.99 at noon", "3/4/2021", "14.9.23"]
# Accents, ¿¡, numbers, a word never seen, characters never seen.
SPANISH = [
    "¿Dónde está la estación?",
    "¡Tengo 3 gatos y 12 perros!",
    "El ornitorrinco desayuna.",
    "Tom   no\tquería ☃ hacerlo…",
    "Ella dijo: «sí».",
]
PROMPTS = [("ROMEO:", 60, 0, None), ("", 30, 0, None), ("ROMEO:", 60, 0.8, 3)]


REVIEWS = ["A wonderful, moving film.", "Dull<br />and TEDIOUS; I didn't care.", "café naïve"]


def texts_and_width(name):
    """What a translator is asked, and the beam width its issue names."""
    return (SPANISH, 5) if name == "translate-spa-eng" else (TEXTS, 4)


def photos():
    """Two Flickr8k test photos, one shrunk to another size."""
    from PIL import Image

    from training.data.text_data import data_dir
    from zoo.images import read_image

    folder = data_dir() / "flickr8k"
    first, second = (folder / "test_images.txt").read_text().split()[:2]
    small = Image.fromarray(read_image(folder / "images" / second)).resize((120, 90))
    return [read_image(folder / "images" / first), np.asarray(small)]


@pytest.fixture(scope="module")
def without_tf(exported_models):
    models = {
        name: (str(directory.parent), task_of(name), *texts_and_width(name))
        for name, directory in exported_models[1].items()
    }
    request = {
        "models": models,
        "prompts": PROMPTS,
        "reviews": REVIEWS,
        "photos": [p.tolist() for p in photos()],
    }
    script = Path(__file__).with_name("onnx_without_tf.py")
    # On stdin: the photos' pixels are far over the OS limit on argv.
    run = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


def test_runs_where_tensorflow_cannot_be_imported(without_tf):
    assert without_tf["loaded"] == []


def test_same_outputs_as_the_keras_models(without_tf, exported_models):
    for name in exported_models[1]:
        model, got = zoo.load(name), without_tf["outputs"][name]
        if task_of(name) == "char-lm":
            want = [model.generate(p, n, temperature=t, seed=s) for p, n, t, s in PROMPTS]
            assert got == want, name
        elif task_of(name) == "seq2seq":
            texts, width = texts_and_width(name)
            assert got == [model.translate(texts), model.translate(texts, beam_width=width)], name
        elif task_of(name) == "sentiment":
            probs, labels, tokens, weights = got
            np.testing.assert_allclose(probs, model.predict_proba(REVIEWS), atol=1e-5)
            assert labels == model.classify(REVIEWS)
            want_tokens, want_weights = model.explain(REVIEWS[0])
            assert tokens == want_tokens
            np.testing.assert_allclose(weights, want_weights, atol=1e-5)
        elif task_of(name) == "caption":
            assert got == [model.caption(photos(), beam_width=w) for w in (1, 3)], name
        else:
            assert task_of(name) == "fast-style", name
            image = np.random.default_rng(0).integers(0, 256, (33, 40, 3)).astype(np.uint8)
            diff = np.abs(np.array(got) - model.stylize(image).astype(int))
            assert diff.max() <= 1, name


def test_a_captioner_gives_the_keras_captions(without_tf, captioner_export):
    want = [captioner_export[0].caption(photos(), beam_width=w) for w in (1, 3)]
    assert without_tf["outputs"][captioner_export[2].parent.name] == want
    assert all(want[0]) and want[0][0] != want[0][1]  # words, and not one fixed string


def test_beam_search_is_exercised(without_tf):
    greedy, beam = without_tf["outputs"]["date-normalizer-no-attention"]
    assert greedy != beam  # else the beam comparison above would prove nothing


def test_damaged_graph_is_refused(exported_models, tmp_path):
    copy = shutil.copytree(exported_models[1]["char-rnn-shakespeare"], tmp_path / "3")
    data = bytearray((copy / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        OnnxModel(copy)
    with pytest.raises(ArtifactError, match="no exported model"):
        OnnxModel(tmp_path / "nothing-here")


def test_the_class_is_the_one_zoo_json_names_and_nothing_is_guessed(exported_models, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(exported_models[1]["date-normalizer"], copy)
    assert type(OnnxModel(copy)).__name__ == "Seq2SeqOnnx"
    sidecar = json.loads((copy / "zoo.json").read_text())
    for task, message in (
        (None, "names no task"),
        ("poetry", "no app support for task 'poetry'"),
        ("../x", "names no task that apps can run"),
    ):
        (copy / "zoo.json").write_text(json.dumps({**sidecar, "task": task}))
        with pytest.raises(ArtifactError, match=message):
            OnnxModel(copy)


def test_picks_the_highest_version_and_checks_arguments(exported_models, tmp_path):
    base = tmp_path / "m"
    shutil.copytree(exported_models[1]["date-normalizer"], base / "2")
    shutil.copytree(exported_models[1]["char-rnn-shakespeare"], base / "10")
    model = OnnxModel(base)
    assert model.path.name == "10" and model.task == "char-lm"
    with pytest.raises(AttributeError, match="is a char-lm model; it has no translate"):
        model.translate(["1 Feb 2003"])
    with pytest.raises(ValueError, match="length"):
        model.generate("a", -1)
    translator = OnnxModel(base / "2")
    with pytest.raises(ValueError, match="input 0 is empty"):
        translator.translate([" "])
    with pytest.raises(TypeError, match="list of strings"):
        translator.translate("1 Feb 2003")
    with pytest.raises(ValueError, match="beam_width"):
        translator.translate(["1 Feb 2003"], beam_width=0)
