"""TensorFlow Addons' own rnn and seq2seq test files (../shared/tfa-tests,
Apache 2.0), run unmodified in a subprocess against zoo.addons: the claim
that TFA code runs after one changed import is re-checked by TFA's tests.

Every failure fails this test; a test may be left out only where it is
named in tests/addons_suites/README.md with its reason (a Keras 2 API
that Keras 3 removed, a GPU the machine lacks), and then it must still
fail or skip for exactly that reason. Tests that fail only because the
environment moved (tf.keras 2's initializer draws, NumPy 1's np.Inf) are
run again with those restored (tfa_era_plugin), where they must pass."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.peer_suites import ROOT, outcomes, run_peer_suite

pytestmark = pytest.mark.system

TFA_TESTS = Path(os.environ.get("ZOO_TFA_TESTS", ROOT.parent / "shared" / "tfa-tests"))
SUITES = ("rnn/tests", "seq2seq/tests")
MODULES = (
    "esn_cell_test",
    "layer_norm_lstm_cell_test",
    "layer_norm_simple_rnn_cell_test",
    "nas_cell_test",
    "peephole_lstm_cell_test",
    "attention_wrapper_test",
    "basic_decoder_test",
    "beam_search_decoder_test",
    "beam_search_ops_test",
    "decoder_test",
    "loss_test",
)
# TFA's own skip for GPU-only tests; any other skip is a failure.
GPU_SKIP = "The gpu is not available."
# The README's outcome for tests re-run in TFA's era (tfa_era_plugin).
TFA_ERA = "fails; passes in TFA's era"


# Three processes at once (two cores in CI): the beam search file, most of
# the time, in two halves by cell, and everything else.
BEAM = "seq2seq/tests/beam_search_decoder_test.py"
SHARES = (
    ([BEAM], ["-k", "LSTMCell"]),
    ([BEAM], ["-k", "not LSTMCell"]),
    (["rnn/tests", "seq2seq/tests"], ["--deselect", f"tensorflow_addons/{BEAM}"]),
)


def run_suites(tmp_path, suites=SUITES, extra_args=()):
    package = TFA_TESTS / "tensorflow_addons"
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_peer_suite(
        tmp_path,
        "tests.addons_suites.tfa_plugin",
        TFA_TESTS,
        [package / suite for suite in suites],
        extra_args=["--import-mode=importlib", *extra_args],
        extra_env={"ZOO_TFA_TESTS": str(TFA_TESTS)},
    )


def run_all_suites(tmp_path):
    """-> ([stdout of each share], {test id: (status, message)} or None)."""
    jobs = [(tmp_path / str(i), suites, args) for i, (suites, args) in enumerate(SHARES)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        runs = list(pool.map(lambda job: run_suites(*job), jobs))
    if any(root is None for _, root in runs):
        return [done.stdout + done.stderr for done, _ in runs], None
    results = {}
    for _, root in runs:
        results.update(outcomes(root))
    return [done.stdout for done, _ in runs], results


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
    outputs, results = run_all_suites(tmp_path)
    assert results is not None, [out[-3000:] for out in outputs]
    assert all("tensorflow_addons -> zoo.addons" in out for out in outputs), outputs[0][-3000:]
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
    for module in MODULES:
        assert any(module in k for k in passed), (module, sorted(results))
    # Listed tests must still be in the suites (a renamed test is not an exception).
    names = {name_of(k) for k in results}
    assert set(exceptions) <= names, set(exceptions) - names


@pytest.mark.skipif(not TFA_TESTS.exists(), reason=f"TFA's test files not found at {TFA_TESTS}")
def test_tfa_tests_pass_in_tfa_era(tmp_path):
    """The tests listed as failing only because the environment moved pass
    once tf.keras 2's initializer draws and NumPy 1's np.Inf are back."""
    era = {name for name, (outcome, _) in listed_exceptions().items() if outcome == TFA_ERA}
    assert era
    done, root = run_suites(
        tmp_path,
        ["seq2seq/tests"],
        ["-p", "tests.addons_suites.tfa_era_plugin", "-k", " or ".join(era)],
    )
    assert root is not None, done.stdout[-3000:] + done.stderr[-3000:]
    results = {k: v for k, v in outcomes(root).items() if name_of(k) in era}
    assert {name_of(k) for k in results} == era, sorted(results)
    failed = {k: m for k, (s, m) in results.items() if s != "passed"}
    assert not failed, failed
