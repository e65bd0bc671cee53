"""Keras' own test suites for LSTM, GRU, SimpleRNN and Bidirectional, run
unmodified from the installed keras package against zoo's drop-ins, so a
Keras upgrade re-checks the drop-in claim. They run in a subprocess: the
patch must not leak into this session."""

from pathlib import Path

import keras
import pytest

from tests.peer_suites import outcomes, run_peer_suite

pytestmark = pytest.mark.system

SUITES = ("lstm_test.py", "gru_test.py", "simple_rnn_test.py", "bidirectional_test.py")
# Keras' own skips for other backends; anything else skipped is a failure.
BACKEND_SKIPS = ("torch-backend",)


def run_suites(tmp_path):
    rnn_dir = Path(keras.__file__).parent / "src" / "layers" / "rnn"
    return run_peer_suite(
        tmp_path, "tests.keras_suites.dropin_plugin", rnn_dir, [rnn_dir / n for n in SUITES]
    )


def test_keras_suites_pass_against_the_drop_ins(tmp_path):
    done, root = run_suites(tmp_path)
    assert "zoo drop-ins: LSTM=zoo.layers.rnn.LSTM" in done.stdout, done.stdout[-3000:]
    assert root is not None, done.stdout[-3000:] + done.stderr[-3000:]
    results = outcomes(root)
    failed = {k: m for k, (s, m) in results.items() if s == "failed"}
    assert not failed, failed
    skipped = {k: m for k, (s, m) in results.items() if s == "skipped"}
    unexplained = {k: m for k, m in skipped.items() if not any(r in m for r in BACKEND_SKIPS)}
    assert not unexplained, unexplained
    passed = [k for k, (s, _) in results.items() if s == "passed"]
    # Each of the four files contributes passing tests.
    for suite in SUITES:
        module = suite.removesuffix(".py")
        assert any(k.startswith(module) for k in passed), (module, sorted(results))
    assert done.returncode == 0, done.stdout[-3000:]
