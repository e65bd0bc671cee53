"""--distribute multi-worker, run for real: two `python -m training`
processes with TF_CONFIG on 127.0.0.1 ports form a MultiWorkerMirrored
cluster (gRPC between them, as between machines), beside a one-worker run
of the same recipe. Then a worker is killed mid-run and both restart."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.ports import free_ports
from training.core.fit import read_history

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 3
RECIPE = f"""
name = "tiny-multi-worker"
[data]
file = "corpus.txt"
seq_len = 40
batch_size = 16
[model]
cell = "lstm"
units = 24
embedding_dim = 8
[train]
epochs = {EPOCHS}
learning_rate = 0.01
final_learning_rate = 0.01
seed = 0
"""


def launch(work, run_dir, tf_config=None, log_name="one"):
    env = {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TF_CONFIG", None)
    command = [
        sys.executable,
        "-m",
        "training",
        str(work / "recipe.toml"),
        "--quiet",
        "--data-dir",
        str(work),
        "--run-dir",
        str(run_dir),
    ]
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
        command += ["--distribute", "multi-worker"]
    log = open(work / f"{run_dir.name}.{log_name}.log", "w")  # noqa: SIM115 (the child holds it)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def cluster(work, run_dir):
    """Worker 0 (the chief) and worker 1 of a two-worker cluster."""
    hosts = [f"127.0.0.1:{port}" for port in free_ports(2)]
    configs = [
        {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": i}} for i in range(2)
    ]
    return [launch(work, run_dir, c, log_name=f"worker{i}") for i, c in enumerate(configs)]


def wait_all(procs, timeout=300):
    deadline = time.monotonic() + timeout
    try:
        return [p.wait(timeout=max(1, deadline - time.monotonic())) for p in procs]
    finally:
        for p in procs:
            p.kill()


def logs(work):
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(work.glob("*.log")))


def weights(run_dir):
    found = {}
    with h5py.File(run_dir / "model" / "model.weights.h5", "r") as f:
        f.visititems(lambda n, o: found.update({n: o[()]}) if isinstance(o, h5py.Dataset) else None)
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shakespeare):
    """Run dirs 'two' (two workers) and 'one' (one worker), trained side by side."""
    work = tmp_path_factory.mktemp("multi_worker")
    (work / "corpus.txt").write_text(shakespeare[:40_000], encoding="utf-8")
    (work / "recipe.toml").write_text(RECIPE)
    codes = wait_all([*cluster(work, work / "two"), launch(work, work / "one")])
    assert codes == [0, 0, 0], logs(work)
    return work


def test_two_workers_train_as_one_on_the_same_global_batch(runs):
    one, two = read_history(runs / "one"), read_history(runs / "two")
    assert [row["epoch"] for row in two] == list(range(EPOCHS))
    # Each step all-reduces two half-batch gradients where one worker takes
    # one batch's: float32 summation order is the only difference. Measured
    # after 168 steps: losses within 3e-7 relative, weights within 5e-6.
    for a, b in zip(one, two, strict=True):
        for key in ("loss", "val_loss"):
            assert b[key] == pytest.approx(a[key], rel=1e-5), (key, a, b)
    assert two[-1]["val_loss"] < 3.0  # it trained: chance is ln(59) ~ 4.1
    w_one, w_two = weights(runs / "one"), weights(runs / "two")
    assert w_one.keys() == w_two.keys()
    for name in w_one:
        np.testing.assert_allclose(w_two[name], w_one[name], atol=1e-4, err_msg=name)


def test_only_the_chief_writes_the_package_and_the_backup(runs):
    two, other = runs / "two", runs / "two" / "workers" / "1"
    assert (two / "model" / "card.json").is_file() and not (other / "model").exists()
    assert not (two / "backup").exists() and not (other / "backup").exists()  # done: deleted

    # Worker 1 kept its own logs, and its reduced losses are the chief's.
    def losses(run_dir):
        return [(row["loss"], row["val_loss"]) for row in read_history(run_dir)]

    assert losses(other) == losses(two)


def backup_epoch(run_dir):
    try:
        return json.loads((run_dir / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):  # not there yet, or being written
        return 0


def test_a_killed_worker_and_a_restart_resume_from_the_chiefs_backup(runs):
    run = runs / "killed"
    procs = cluster(runs, run)
    deadline = time.monotonic() + 240
    while backup_epoch(run) < 1 and time.monotonic() < deadline and procs[0].poll() is None:
        time.sleep(0.05)
    assert backup_epoch(run) >= 1 and procs[0].poll() is None, logs(runs)
    procs[1].send_signal(signal.SIGKILL)
    # The chief sees the lost heartbeat, stops with a message saying what to do.
    assert wait_all(procs, timeout=120)[0] == 3, logs(runs)
    assert "Start every worker again" in (runs / "killed.worker0.log").read_text()
    assert not (run / "model").exists()

    assert wait_all(cluster(runs, run)) == [0, 0], logs(runs)
    assert [row["epoch"] for row in read_history(run)] == list(range(EPOCHS))
    # Same weights, optimizer state and data from the backed-up epoch on, and
    # a two-value all-reduce is order-free: the result is bit-identical.
    uninterrupted, resumed = weights(runs / "two"), weights(run)
    for name in uninterrupted:
        np.testing.assert_array_equal(resumed[name], uninterrupted[name], err_msg=name)
