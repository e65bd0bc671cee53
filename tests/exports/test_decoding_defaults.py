"""A translator's own decoding defaults (Seq2Seq(decoding=...), the
shipped translator's length penalty chosen on validation): Keras'
translate, its config, zoo.json and OnnxModel all take them where a call
gives none, and a call's own values still win."""

import json

import numpy as np
import pytest

from exports.exporter import export
from serving import OnnxModel
from tests.zoo.test_seq2seq import TEXTS, tiny
from zoo.models import Seq2Seq

CHOSEN = {"length_penalty": 3.0}


def with_decoding(decoding):
    base = tiny(max_output_length=9, scale=1.2)
    model = Seq2Seq.from_config({**base.get_config(), "decoding": decoding})
    model.build()
    model.set_weights(base.get_weights())
    return model


def test_translate_takes_the_models_defaults_unless_told_otherwise():
    model = with_decoding(CHOSEN)
    chosen = model.translate(TEXTS, beam_width=4)
    assert chosen == model.translate(TEXTS, beam_width=4, length_penalty=3.0)
    assert chosen != model.translate(TEXTS, beam_width=4, length_penalty=0.0)  # it matters here
    assert model.DECODING == {"length_penalty": 3.0, "no_repeat_ngram_size": 0}
    again = Seq2Seq.from_config(model.get_config())
    assert again.DECODING == model.DECODING
    assert "decoding" not in tiny().get_config()  # models without keep their config as it was
    config = tiny().get_config()
    with pytest.raises(ValueError, match="`decoding` takes"):
        Seq2Seq.from_config({**config, "decoding": {"beam_width": 3}})
    with pytest.raises(ValueError, match="length_penalty must be a finite number"):
        Seq2Seq.from_config({**config, "decoding": {"length_penalty": float("nan")}})
    with pytest.raises(ValueError, match="no_repeat_ngram_size"):
        Seq2Seq.from_config({**config, "decoding": {"no_repeat_ngram_size": 99}})


def test_the_export_carries_the_defaults_and_onnx_apps_use_them(tmp_path):
    model = with_decoding(CHOSEN)
    directory = export(model, tmp_path, formats=("onnx",), name="tiny")
    contract = json.loads((directory / "zoo.json").read_text())
    assert contract["decoding_defaults"] == model.DECODING
    runtime = OnnxModel(directory)
    want, scores = model.translate(TEXTS, beam_width=4, return_log_prob=True)
    got, got_scores = runtime.translate(TEXTS, beam_width=4, return_log_prob=True)
    assert got == want
    np.testing.assert_allclose(got_scores, scores, atol=1e-4)
    plain = model.translate(TEXTS, beam_width=4, length_penalty=0.0)
    assert runtime.translate(TEXTS, beam_width=4, length_penalty=0.0) == plain
