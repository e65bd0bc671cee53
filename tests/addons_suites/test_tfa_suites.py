"""TensorFlow Addons' own rnn and seq2seq test files (../shared/tfa-tests,
Apache 2.0), run unmodified in a subprocess against zoo.addons: the claim
that TFA code runs after one changed import is re-checked by TFA's tests.

Every failure fails this test; a test may be left out only where it is
named in tests/addons_suites/README.md with its reason (a Keras 2 API
that Keras 3 removed, a GPU the machine lacks), and then it must still
fail or skip for exactly that reason."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
TFA_TESTS = Path(os.environ.get("ZOO_TFA_TESTS", ROOT.parent / "shared" / "tfa-tests"))
# seq2seq/tests joins as zoo.addons.seq2seq is built (issue 31).
SUITES = ("rnn/tests",)
# Modules that must contribute passing tests.
MODULES = (
    "esn_cell_test",
    "nas_cell_test",
    "layer_norm_simple_rnn_cell_test",
    "peephole_lstm_cell_test",
)
# TFA's own skip for GPU-only tests; any other skip is a failure.
GPU_SKIP = "The gpu is not available."


def run_suites(tmp_path, suites=SUITES):
    report = tmp_path / "report.xml"
    package = TFA_TESTS / "tensorflow_addons"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.addons_suites.tfa_plugin",
        "-c",
        os.devnull,
        "--rootdir",
        str(TFA_TESTS),
        "--import-mode=importlib",
        f"--junitxml={report}",
        *(str(package / suite) for suite in suites),
    ]
    env = {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "ZOO_TFA_TESTS": str(TFA_TESTS),
    }
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return done, ET.parse(report).getroot() if report.exists() else None


def outcomes(root):
    """{test id: ('passed' | 'failed' | 'skipped', message)}."""
    results = {}
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        status, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = "skipped" if child.tag == "skipped" else "failed"
                message = (child.get("message") or "") + "\n" + (child.text or "")
        results[test_id] = (status, message)
    return results


def listed_exceptions():
    """{test name: text its failure or skip message must hold}, from the
    README's table of tests that cannot pass under Keras 3."""
    exceptions = {}
    for line in (Path(__file__).parent / "README.md").read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            exceptions[cells[0]] = cells[3]
    return exceptions


@pytest.mark.skipif(not TFA_TESTS.exists(), reason=f"TFA's test files not found at {TFA_TESTS}")
def test_tfa_suites_pass_against_zoo_addons(tmp_path):
    done, root = run_suites(tmp_path)
    assert "tensorflow_addons -> zoo.addons" in done.stdout, done.stdout[-3000:]
    assert root is not None, done.stdout[-3000:] + done.stderr[-3000:]
    results = outcomes(root)
    exceptions = listed_exceptions()

    def excused(test_id, message):
        name = test_id.split("::")[-1].split("[")[0]
        return name in exceptions and exceptions[name] in message

    failed = {k: m for k, (s, m) in results.items() if s == "failed" and not excused(k, m)}
    assert not failed, failed
    skipped = {k: m for k, (s, m) in results.items() if s == "skipped"}
    unexplained = {k: m for k, m in skipped.items() if GPU_SKIP not in m and not excused(k, m)}
    assert not unexplained, unexplained
    passed = [k for k, (s, _) in results.items() if s == "passed"]
    for module in MODULES:
        assert any(module in k for k in passed), (module, sorted(results))
