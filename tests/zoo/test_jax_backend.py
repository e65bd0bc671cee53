"""The cells, attention and the models are keras.ops only, so they run on any Keras backend: the
backend-neutral suites run again under JAX (what GPU work here uses) in a
fresh interpreter, since Keras fixes its backend at import."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
BACKEND_NEUTRAL = [
    "tests/zoo/test_cell_reference.py",
    "tests/zoo/test_gates.py",
    "tests/zoo/test_dropout.py",
    "tests/zoo/test_sequences.py",
    "tests/zoo/test_serialization.py",
    "tests/zoo/test_attention.py",
]
# test_chars (CharVocabulary, numpy) and test_arguments (constructor checks)
# run no backend op, so they run once, on TensorFlow.
# zoo.layers.RNN subclasses keras.layers.RNN and runs the same loop, so on JAX
# the cases that differ only by that wrapper run once, with zoo's (both run on
# TensorFlow).
ONE_WRAPPER = "not keras.layers.RNN"
# test_char_lm and test_seq2seq (models assembled from the cells and attention
# above) run on TensorFlow only, to keep CI under 30 minutes; a model trains on
# JAX end to end in tests/training/test_fast_style_training.py.


def test_backend_neutral_suites_pass_on_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    probe = "import keras; assert keras.backend.backend() == 'jax'"
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=120)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            ONE_WRAPPER,
            *BACKEND_NEUTRAL,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail and "skipped" not in tail, tail
