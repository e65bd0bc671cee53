"""Versions under the embedded server: a version published while clients
query is picked up with no failed request, every answer coming whole from
N or N+1; models.config policies and labels; `zoo serve` from the command
line shuts down gracefully, finishing a request in flight."""

import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from exports import layout
from serving import GrpcClient, RestClient, ServingError
from serving.server import EmbeddedServer

pytestmark = pytest.mark.system

# date-normalizer and date-normalizer-no-attention disagree on this input,
# so an answer shows which of the two versions gave it.
PROBE = "3.7.96"
ANSWER = {1: "1996-03-03", 2: "1976-03-07"}


@pytest.fixture
def two_models(exported_models, tmp_path):
    """A base path holding date-normalizer as version 1, and a function
    that publishes the no-attention model as version 2 the way exports
    does (a staging folder renamed into place)."""
    source = exported_models[1]
    base = tmp_path / "date-normalizer"
    shutil.copytree(source["date-normalizer"], base / "1")

    def publish():
        with layout.staged_version(base) as stage:
            shutil.copytree(source["date-normalizer-no-attention"], stage.path, dirs_exist_ok=True)
        return stage.final

    return tmp_path, publish


def ask(client):
    version, out = client.predict_versioned("date-normalizer", {"text": np.array([PROBE], object)})
    return version, out["output"][0].decode()


def test_new_version_under_load_no_request_fails(two_models):
    root, publish = two_models
    with EmbeddedServer(root, rest_port=None, grpc_port=0, poll_seconds=0.1) as server:
        answers, errors, done = [], [], threading.Event()
        by_client = [[] for _ in range(4)]

        def client(mine):
            with GrpcClient(f"127.0.0.1:{server.grpc_port}", timeout=60) as grpc:
                while not done.is_set():
                    try:
                        mine.append(ask(grpc))
                        answers.append(mine[-1])
                    except ServingError as error:
                        errors.append(error)

        threads = [threading.Thread(target=client, args=(mine,)) for mine in by_client]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        assert publish().name == "2"
        deadline = time.time() + 60
        while not any(v == 2 for v, _ in answers[-8:]) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        done.set()
        for thread in threads:
            thread.join()
    assert not errors
    assert {v for v, _ in answers} == {1, 2}
    assert all(text == ANSWER[v] for v, text in answers)  # each answer whole from one version
    for mine in by_client:  # each client, once answered by the new version, stays on it
        versions = [v for v, _ in mine]
        assert versions == sorted(versions) and versions[-1] == 2


def test_models_config_versions_and_labels(two_models, tmp_path):
    root, publish = two_models
    publish()
    config = tmp_path / "models.config"
    config.write_text(
        'model_config_list { config { name: "date-normalizer" base_path: "/models/date-normalizer"'
        ' model_platform: "tensorflow"'
        " model_version_policy { specific { versions: 1 versions: 2 } }"
        ' version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 2 } } }'
    )
    with EmbeddedServer(root, rest_port=0, grpc_port=0, config_file=config) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}")
        grpc = GrpcClient(f"127.0.0.1:{server.grpc_port}")
        for version, label in ((1, "stable"), (2, "canary")):
            by_label = rest.predict("date-normalizer", instances=[PROBE], label=label)
            assert by_label[0]["output"] == ANSWER[version]
            by_number = rest.predict("date-normalizer", instances=[PROBE], version=version)
            assert by_number == by_label
            got = grpc.predict_versioned(
                "date-normalizer", {"text": np.array([PROBE], object)}, label=label
            )
            assert got[0] == version
        assert [s["version"] for s in rest.status("date-normalizer")["model_version_status"]] == [
            "1",
            "2",
        ]
        assert rest.predict("date-normalizer", instances=[PROBE])[0]["output"] == ANSWER[2]
        grpc.close()


def test_a_broken_version_is_reported_and_the_last_good_one_served(two_models):
    root, _ = two_models
    broken = root / "date-normalizer" / "2"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a protobuf")
    with EmbeddedServer(root, rest_port=0, grpc_port=None) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}")
        statuses = rest.status("date-normalizer")["model_version_status"]
        assert [(s["version"], s["state"]) for s in statuses] == [("1", "AVAILABLE"), ("2", "END")]
        assert statuses[1]["status"]["error_message"]
        assert rest.predict("date-normalizer", instances=[PROBE])[0]["output"] == ANSWER[1]


def serve(root, *flags):
    """`zoo serve` in a process of its own -> (process, REST URL)."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoo.cli",
            "serve",
            "--models",
            str(root),
            "--rest-port",
            "0",
            "--grpc-port",
            "0",
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = [server.stdout.readline() for _ in range(2)]
    assert "serving 1 model(s) date-normalizer" in lines[0], lines
    return server, lines[1].split("REST on ")[1].split(",")[0]


LONG = "Tuesday, the 3rd of March in the year 2015, at noon " * 4  # 1024 of these: about 1 s


def test_zoo_serve_command_finishes_requests_in_flight_on_sigterm(two_models):
    root, _ = two_models
    server, url = serve(root)
    try:
        rest = RestClient(url, timeout=120)
        result = {}
        slow = threading.Thread(
            target=lambda: result.update(
                out=rest.predict("date-normalizer", instances=[LONG] * 1024)
            )
        )
        slow.start()
        time.sleep(0.3)  # the big batch is now running
        assert slow.is_alive(), "the request finished before the signal: it proves nothing"
        server.send_signal(signal.SIGTERM)
        slow.join()
        assert server.wait(timeout=60) == 0
        outputs = [r["output"] for r in result["out"]]
        assert len(outputs) == 1024 and len(set(outputs)) == 1 and outputs[0]
        assert "stopped" in server.stdout.read()
    finally:
        server.kill()


def test_sigterm_exits_within_its_grace_though_model_calls_still_run(two_models):
    """Eight costly requests keep the model threads busy for several
    seconds; with --shutdown-s 1 the server gives up on them and exits."""
    root, _ = two_models
    server, url = serve(root, "--shutdown-s", "1", "--heavy-gmacs", "1000")
    try:
        answered = threading.Semaphore(0)

        def send():
            try:
                RestClient(url, timeout=60).predict("date-normalizer", instances=[LONG] * 1024)
                answered.release()
            except (ServingError, OSError):
                pass  # cut off by the shutdown: what this test is about

        clients = [threading.Thread(target=send, daemon=True) for _ in range(8)]
        for client in clients:
            client.start()
        # Two cores run two of these at once, about 1 s each; the others'
        # bodies are parsed meanwhile, so once two are answered, the next
        # are running.
        assert answered.acquire(timeout=60)
        time.sleep(0.2)
        start = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert time.monotonic() - start < 8
        out, _ = server.communicate(timeout=10)  # an orphaned parser would hold stdout open
        assert "model calls abandoned" in out
    finally:
        server.kill()
