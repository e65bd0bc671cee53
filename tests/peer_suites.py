"""Running a peer project's own pytest suite (Keras', TF Addons') in a
subprocess with a plugin that points it at zoo, and reading its JUnit
report."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_peer_suite(tmp_path, plugin, rootdir, paths, extra_args=(), extra_env=None):
    """-> (CompletedProcess, JUnit root or None)."""
    report = tmp_path / "report.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        plugin,
        "-c",
        os.devnull,
        "--rootdir",
        str(rootdir),
        *extra_args,
        f"--junitxml={report}",
        *(str(p) for p in paths),
    ]
    env = {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return done, ET.parse(report).getroot() if report.exists() else None


def outcomes(root):
    """{test id: ('passed' | 'failed' | 'skipped', message and details)}."""
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
