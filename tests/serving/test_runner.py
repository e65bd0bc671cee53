"""serving.runner's admission on plain Python calls (no model): peers
take turns, costly calls keep to their lane, queues are bounded, and
shutdown returns within its grace with a call still running; and the
work estimate of serving.work against the exported graphs' own terms."""

import threading
import time

import numpy as np
import pytest

from serving.errors import ServingError
from serving.runner import Runner
from serving.work import check_work, request_macs

from .hostile import png_declaring


def sleeper(seconds, log, key):
    def run():
        log.append(("start", key, time.monotonic()))
        time.sleep(seconds)
        log.append(("end", key, time.monotonic()))
        return key

    return run


def test_a_peer_with_a_backlog_does_not_starve_another():
    runner = Runner(2, 30, per_peer=2)
    log = []
    try:
        backlog = [runner.submit(sleeper(0.1, log, f"a{i}"), peer="a") for i in range(20)]
        time.sleep(0.05)
        other = runner.submit(sleeper(0.01, log, "b"), peer="b")
        assert other.future.result(timeout=10) == "b"
        # b ran as soon as one of a's first two calls ended, not after all 20
        started = [key for kind, key, _ in log if kind == "start"]
        assert started.index("b") <= 3, started
        assert all(c.future.result(timeout=10) for c in backlog)
    finally:
        runner.shutdown(5)


def test_costly_calls_keep_to_their_lane_and_cheap_ones_pass_them():
    runner = Runner(3, 30, heavy_macs=100, heavy_slots=1, per_peer=3)
    log, running, most = [], [0], [0]
    lock = threading.Lock()

    def heavy(key):
        def run():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.1)
            with lock:
                running[0] -= 1
            return key

        return run

    try:
        calls = [runner.submit(heavy(i), peer=f"p{i}", macs=1000) for i in range(4)]
        cheap = runner.submit(sleeper(0.01, log, "cheap"), peer="q", macs=1)
        assert cheap.future.result(timeout=5) == "cheap"
        assert not calls[-1].future.done()  # the cheap call did not wait for the lane
        assert [c.future.result(timeout=10) for c in calls] == [0, 1, 2, 3]
        assert most[0] == 1
    finally:
        runner.shutdown(5)


def test_queues_are_bounded_and_refuse_at_once():
    runner = Runner(1, 30, max_queue=5, per_peer_queue=3)
    gate = threading.Event()
    try:
        first = runner.submit(gate.wait, peer="a")
        time.sleep(0.05)  # a's first call runs; the rest queue
        for _ in range(3):
            runner.submit(gate.wait, peer="a")
        with pytest.raises(ServingError) as refused:
            runner.submit(gate.wait, peer="a")
        assert refused.value.code == "RESOURCE_EXHAUSTED" and "this connection" in str(
            refused.value
        )
        runner.submit(gate.wait, peer="b")
        runner.submit(gate.wait, peer="c")
        with pytest.raises(ServingError) as refused:
            runner.submit(gate.wait, peer="d")
        assert refused.value.code == "RESOURCE_EXHAUSTED" and "server is busy" in str(refused.value)
    finally:
        gate.set()
        first.future.result(timeout=5)
        runner.shutdown(5)


def test_a_call_past_its_deadline_is_answered_and_a_queued_one_never_runs():
    runner = Runner(1, 0.3)
    log = []
    try:
        with pytest.raises(ServingError) as late:
            runner.call(sleeper(1.0, log, "slow"))
        assert late.value.code == "DEADLINE_EXCEEDED"
        with pytest.raises(ServingError):
            runner.call(sleeper(0.0, log, "queued"))  # waits behind "slow" past its deadline
        time.sleep(1.0)
        assert ("start", "queued") not in [(kind, key) for kind, key, _ in log]
    finally:
        runner.shutdown(5)


def test_shutdown_returns_within_its_grace_with_a_call_still_running():
    runner = Runner(2, 60)
    gate = threading.Event()
    running = runner.submit(gate.wait, peer="a")
    queued = [runner.submit(gate.wait, peer="a") for _ in range(3)]
    time.sleep(0.05)
    start = time.monotonic()
    assert runner.shutdown(grace=0.5) >= 1
    assert time.monotonic() - start < 2
    for call in queued[1:]:
        with pytest.raises(ServingError) as stopped:
            call.future.result(timeout=1)
        assert stopped.value.code == "UNAVAILABLE"
    with pytest.raises(ServingError):
        runner.submit(gate.wait)
    gate.set()
    assert running.future.result(timeout=5)


# ---- serving.work ---------------------------------------------------------------------
TERMS = [
    {"input": "prompt", "per": "byte", "macs": 10},
    {"input": "length", "per": "value", "macs": 10},
]


def test_work_charges_the_padded_batch():
    feed = {"prompt": np.array([b"ab", b"abcdef"], object), "length": np.array([5, 100], np.int32)}
    assert request_macs(TERMS, feed) == 2 * 6 * 10 + 2 * 100 * 10
    with pytest.raises(ServingError) as refused:
        check_work(TERMS, feed, 1000, "model m")
    assert refused.value.code == "INVALID_ARGUMENT" and "model m" in str(refused.value)
    assert check_work(TERMS, feed, 10_000, "model m") == 2120


def test_work_reads_image_headers_without_decoding():
    terms = [
        {"input": "image_bytes", "per": "declared_pixel", "macs": 2},
        {"input": "image_bytes", "per": "row", "macs": 1000},
    ]
    feed = {"image_bytes": np.array([png_declaring(30, 20), png_declaring(6000, 6000)], object)}
    assert request_macs(terms, feed) == 2 * (600 + 36_000_000) + 2 * 1000
    with pytest.raises(ServingError, match="JPEG or PNG"):
        request_macs(terms, {"image_bytes": np.array([b"GIF89a..."], object)})
    pixels = {"input": "image", "per": "pixel", "macs": 3}
    assert request_macs([pixels], {"image": np.zeros((2, 5, 7, 3), np.uint8)}) == 3 * 70


def test_jpeg_headers_give_their_size(tmp_path):
    import io

    from PIL import Image

    from zoo_runtime.images import declared_pixels

    data = io.BytesIO()
    Image.new("RGB", (123, 45)).save(data, "JPEG", exif=b"Exif\x00\x00" + b"\x00" * 3000)
    assert declared_pixels(data.getvalue()) == 123 * 45
    assert declared_pixels(data.getvalue()[:20]) is None  # cut before its frame header
