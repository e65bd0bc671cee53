"""The static web app (serving/examples/web) in a real headless Chromium:
the page, built by serving.web_site from the test run's exports and served
by a plain static file server, translates, classifies and captions a
dropped photo client-side (onnxruntime-web), and its answers equal
serving.OnnxModel's; the attention maps equal decoder.onnx's, run here
by onnxruntime; a second visit fetches no model again; empty text gets a
message. Saves the screenshot docs/web-app.png. Needs node, npm and
Chromium (.ci/run installs Debian's); the npm packages come from the
committed lock file."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from serving import OnnxModel
from serving.web_site import ASKED, PAGE, build, check

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ZOO_CHROMIUM", "/usr/bin/chromium")
PHOTO = Path(os.environ.get("ZOO_DATA_DIR", ROOT.parent / "shared" / "data")) / "content/coffee.jpg"

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not (shutil.which("node") and shutil.which("npm") and Path(CHROMIUM).is_file()),
        reason="node, npm and chromium are not installed (.ci/run installs them)",
    ),
]


@pytest.fixture(scope="module")
def site(exported_models, tmp_path_factory):
    if not (PAGE / "node_modules" / "playwright-core").is_dir():
        npm = ["npm", "ci", "--no-audit", "--no-fund"]
        subprocess.run(npm, cwd=PAGE, check=True, capture_output=True, timeout=600)
    versions = exported_models[1]
    models = {
        "translate": versions["translate-spa-eng"],
        "classify": versions["sentiment-imdb"],
        "caption": versions["caption-flickr8k"],
    }
    out = tmp_path_factory.mktemp("site")
    build(None, out, models)
    return out, models


@pytest.fixture(scope="module")
def visit(site, tmp_path_factory):
    """What the page answered, and the photo's pixels (the PNG dropped)."""
    out, models = site
    screenshot = ROOT / "docs" / "web-app.png"
    page = check(out, PHOTO, screenshot, tmp_path_factory.mktemp("photo"), chromium=CHROMIUM)
    return page, page["pixels"], models


def test_the_page_translates_with_beam_search_as_onnx_model_does(visit):
    page, _, models = visit
    want = OnnxModel(models["translate"]).translate([ASKED["spanish"]], beam_width=3)[0]
    assert page["translation"] == {"text": want, "beamWidth": 3}
    assert page["again"] == page["translation"]


def test_the_page_classifies_with_the_word_weights(visit):
    page, _, models = visit
    python = OnnxModel(models["classify"])
    got = page["sentiment"]
    assert got["label"] == python.classify([ASKED["review"]])[0]
    np.testing.assert_allclose(
        got["probability"], python.predict_proba([ASKED["review"]])[0], atol=1e-5
    )
    tokens, weights = python.explain(ASKED["review"])
    assert got["tokens"] == list(tokens)
    np.testing.assert_allclose(got["weights"], weights, atol=1e-5)


def test_the_page_captions_a_dropped_photo_with_its_attention(visit):
    page, pixels, models = visit
    python = OnnxModel(models["caption"])
    words = page["caption"]["words"]
    assert " ".join(words) == python.caption([pixels], beam_width=1)[0]
    attention = np.array(page["caption"]["attention"])
    np.testing.assert_allclose(
        attention, decoder_attention(models["caption"], pixels, words), atol=1e-4
    )
    np.testing.assert_allclose(attention.sum(axis=1), 1.0, atol=1e-4)


def decoder_attention(directory, pixels, words):
    """decoder.onnx's attention for each word, fed the caption's own words
    (start first), with onnxruntime here."""
    contract = json.loads((directory / "zoo.json").read_text())
    start = contract["special_tokens"]["start"][1]
    ids = [contract["vocabulary"].index(w) for w in words]
    encoder, decoder = (
        ort.InferenceSession(str(directory / f)) for f in ("encoder.onnx", "decoder.onnx")
    )
    names = [o.name for o in encoder.get_outputs()]
    feed = dict(zip(names, encoder.run(names, {"image": pixels[None]}), strict=True))
    inputs = [i.name for i in decoder.get_inputs()]
    outputs = [o.name for o in decoder.get_outputs()]
    feed = {k: v for k, v in feed.items() if k in inputs}
    rows = []
    for token in [start, *ids[:-1]]:
        out = dict(
            zip(
                outputs,
                decoder.run(outputs, {**feed, "token_ids": np.array([token], np.int32)}),
                strict=True,
            )
        )
        rows.append(out["attention"][0])
        feed.update({n: out[f"next_{n}"] for n in feed if n.startswith("state_")})
    return np.stack(rows)


def test_models_load_lazily_once_and_come_from_the_cache_next_visit(visit):
    page, _, _ = visit
    fetched = page["first"]["fetched"]
    assert sorted(fetched) == sorted(set(fetched)) and len(fetched) == 4  # each file once
    assert page["second"]["fetched"] == []  # reloaded: the cache answers
    assert set(page["second"]["answeredMs"]) == {"translate"}  # nothing else was loaded
    assert page["errors"] == []


def test_bad_input_gets_a_message_in_the_page(visit):
    page = visit[0]
    assert "empty" in page["empty"]
    assert "pixels; at most" in page["refused"]["oversized"]  # from the header, before decoding
    assert "is not an image" in page["refused"]["notAnImage"]
    assert "lacks WebAssembly" in page["unsupported"]["banner"]  # a browser without it
    assert page["unsupported"]["disabled"]
