"""TensorFlow Addons' own rnn and seq2seq test files (../shared/tfa-tests,
Apache 2.0), run unmodified in a subprocess against zoo.addons: the claim
that TFA code runs after one changed import is re-checked by TFA's tests.

Every failure fails this test; a test may be left out only where it is
named in tests/addons_suites/README.md with its reason (a Keras 2 API
that Keras 3 removed, a GPU the machine lacks), and then it must still
fail or skip for exactly that reason. Tests whose hard-coded figures
depend on tf.keras 2's initializer draws are run again with that
initializer (tf1_initializers_plugin), where they must pass."""

import os
from pathlib import Path

import pytest

from tests.peer_suites import ROOT, outcomes, run_peer_suite

pytestmark = pytest.mark.system

TFA_TESTS = Path(os.environ.get("ZOO_TFA_TESTS", ROOT.parent / "shared" / "tfa-tests"))
# beam_search_decoder_test.py joins as zoo.addons' BeamSearchDecoder is built (issue 31).
SUITES = (
    "rnn/tests",
    "seq2seq/tests/attention_wrapper_test.py",
    "seq2seq/tests/basic_decoder_test.py",
    "seq2seq/tests/beam_search_ops_test.py",
    "seq2seq/tests/decoder_test.py",
    "seq2seq/tests/loss_test.py",
)
# TFA's own skip for GPU-only tests; any other skip is a failure.
GPU_SKIP = "The gpu is not available."
# The README's outcome for tests re-run with tf.keras 2's initializer.
KERAS2_DRAWS = "fails; passes with tf.keras 2's draws"


def run_suites(tmp_path, suites=SUITES, extra_args=()):
    package = TFA_TESTS / "tensorflow_addons"
    return run_peer_suite(
        tmp_path,
        "tests.addons_suites.tfa_plugin",
        TFA_TESTS,
        [package / suite for suite in suites],
        extra_args=["--import-mode=importlib", *extra_args],
        extra_env={"ZOO_TFA_TESTS": str(TFA_TESTS)},
    )


def listed_exceptions():
    """{test name: (outcome, text its failure or skip message must hold)},
    from the README's table of tests that cannot pass under Keras 3."""
    exceptions = {}
    for line in (Path(__file__).parent / "README.md").read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            exceptions[cells[0]] = (cells[1], cells[3])
    return exceptions


def name_of(test_id):
    return test_id.split("::")[-1].split("[")[0]


@pytest.mark.skipif(not TFA_TESTS.exists(), reason=f"TFA's test files not found at {TFA_TESTS}")
def test_tfa_suites_pass_against_zoo_addons(tmp_path):
    done, root = run_suites(tmp_path)
    assert "tensorflow_addons -> zoo.addons" in done.stdout, done.stdout[-3000:]
    assert root is not None, done.stdout[-3000:] + done.stderr[-3000:]
    results = outcomes(root)
    exceptions = listed_exceptions()

    def excused(test_id, message):
        listed = exceptions.get(name_of(test_id))
        return listed is not None and listed[1] in message

    failed = {k: m for k, (s, m) in results.items() if s == "failed" and not excused(k, m)}
    assert not failed, failed
    skipped = {k: m for k, (s, m) in results.items() if s == "skipped"}
    unexplained = {k: m for k, m in skipped.items() if GPU_SKIP not in m and not excused(k, m)}
    assert not unexplained, unexplained
    passed = [k for k, (s, _) in results.items() if s == "passed"]
    for suite in SUITES:
        module = Path(suite).stem if suite.endswith(".py") else None
        if module:
            assert any(module in k for k in passed), (module, sorted(results))
    for module in ("esn_cell_test", "nas_cell_test", "layer_norm_simple_rnn_cell_test"):
        assert any(module in k for k in passed), (module, sorted(results))
    # Listed tests must still be in the suites (a renamed test is not an exception).
    names = {name_of(k) for k in results}
    assert set(exceptions) <= names, set(exceptions) - names


@pytest.mark.skipif(not TFA_TESTS.exists(), reason=f"TFA's test files not found at {TFA_TESTS}")
def test_tfa_figures_reproduce_with_tf_keras_2_initializer_draws(tmp_path):
    redrawn = [
        name for name, (outcome, _) in listed_exceptions().items() if outcome == KERAS2_DRAWS
    ]
    assert redrawn
    done, root = run_suites(
        tmp_path,
        [f"seq2seq/tests/attention_wrapper_test.py::{name}" for name in redrawn],
        ["-p", "tests.addons_suites.tf1_initializers_plugin"],
    )
    assert root is not None, done.stdout[-3000:] + done.stderr[-3000:]
    results = outcomes(root)
    assert {name_of(k) for k in results} == set(redrawn), sorted(results)
    failed = {k: m for k, (s, m) in results.items() if s != "passed"}
    assert not failed, failed
