"""The server under the hostile clients of the hardening issue, beside
normal clients (one REST and one gRPC, each sending one date-normalizer
request every 0.1 s), on loopback, server in its own process with its
default settings. One row per attack, each run for `--seconds`:

- work: 8 clients each sending, back to back, char-rnn-shakespeare
  requests of batch 1024 x length 4096 (each within every byte and
  length limit: over the work budget), and then 8 sending batch 64 x
  length 4096 (about 190 G multiply-adds: under it, so they run, one at a
  time in the costly lane);
- connections: as many half-sent REST connections from 127.0.0.2 as this
  process's file limit allows (20,000 asked for), held open;
- strings: a 15 MB gRPC PredictRequest of 7,900,000 empty strings, back
  to back;
- streams: 5,000 Predicts kept in flight on one gRPC channel.

The bar for each row: normal p50 within 1.5x of the quiet run, 0 errors to
normal clients, and the server's RSS back within 200 MB of idle after.

Each attack runs in a process of its own (`python -m benchmarks.serving_faults
attack KIND REST_URL GRPC_TARGET`, stopped by closing its stdin), so that its
threads do not take the normal clients' GIL: on loopback the attacker still
shares the CPU with the server, as it would not from another host.

    python -m benchmarks.serving --rows faults [--seconds 20]
"""

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import grpc
import numpy as np
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from serving import GrpcClient, RestClient, ServingError

NORMAL = {"text": ["1 Feb 2003"]}
MB = 1 << 20
NICE = int(os.environ.get("ATTACKER_NICE", 19))


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class NormalClients:
    """One REST and one gRPC client, each sending a request every 0.1 s."""

    def __init__(self, rest_url, grpc_target):
        self.rest_url, self.grpc_target = rest_url, grpc_target

    def run(self, seconds):
        latencies, errors, lock = [], [], threading.Lock()

        def loop(call):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                start = time.perf_counter()
                try:
                    ok = call()
                except (ServingError, OSError) as error:
                    ok = error
                with lock:
                    if ok is True:
                        latencies.append(time.perf_counter() - start)
                    else:
                        errors.append(repr(ok)[:200])
                time.sleep(max(0.0, 0.1 - (time.perf_counter() - start)))

        rest = RestClient(self.rest_url, timeout=60)
        with GrpcClient(self.grpc_target, timeout=60) as client:
            feed = {"text": np.array([b"1 Feb 2003"], object)}
            calls = [
                lambda: rest.predict("date-normalizer", inputs=NORMAL)["output"][0] == "2003-02-01",
                lambda: client.predict("date-normalizer", feed)["output"][0] == b"2003-02-01",
            ]
            threads = [threading.Thread(target=loop, args=(c,)) for c in calls]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return latencies, errors


def post(url, data):
    request = urllib.request.Request(url, data=data)
    try:
        urllib.request.urlopen(request, timeout=120).read()
        return 200
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return "error"


def lm_body(batch, length):
    return json.dumps(
        {
            "inputs": {
                "prompt": ["ROMEO:"] * batch,
                "length": [length] * batch,
                "temperature": [0.5] * batch,
                "seed": list(range(batch)),
            }
        }
    ).encode()


def work_attack(rest_url, batch, length):
    url, body = f"{rest_url}/v1/models/char-rnn-shakespeare:predict", lm_body(batch, length)

    def attack(stop, tally):
        def client():
            while not stop.is_set():
                tally(post(url, body))

        return [threading.Thread(target=client) for _ in range(8)]

    return attack, ""


def connection_attack(rest_url, wanted=20_000):
    host, port = rest_url.split("//")[1].split(":")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    most = min(wanted, hard - 200)  # what this process may hold beside its own files

    def attack(stop, tally):
        held = []

        def opener():
            while not stop.is_set() and len(held) < most:
                try:
                    sock = socket.create_connection(
                        (host, int(port)), timeout=5, source_address=("127.0.0.2", 0)
                    )
                    sock.sendall(b"POST /v1/models/date-normalizer:predict HTTP/1.1\r\nHost: x\r\n")
                    held.append(sock)
                    tally("opened")
                except OSError:
                    tally("connect failed")
            stop.wait()
            for sock in held:
                sock.close()

        return [threading.Thread(target=opener)]

    return attack, f"{most:,} asked"


def string_flood(grpc_target, count=7_900_000):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "date-normalizer"
    tensor = request.inputs["text"]
    tensor.dtype = 7
    tensor.tensor_shape.dim.add(size=count)
    tensor.string_val.extend([b""] * count)
    data = request.SerializeToString()  # once: the client's cost is not the server's
    del request

    def attack(stop, tally):
        def client():
            channel = grpc.insecure_channel(
                grpc_target,
                options=[
                    ("grpc.max_send_message_length", 64 * MB),
                    ("grpc.use_local_subchannel_pool", 1),
                ],
            )
            send = channel.unary_unary(
                "/tensorflow.serving.PredictionService/Predict", request_serializer=lambda b: b
            )
            while not stop.is_set():
                try:
                    send(data, timeout=60)
                    tally("answered")
                except grpc.RpcError as error:
                    tally(error.code().name)
            channel.close()

        return [threading.Thread(target=client)]

    return attack, f"{len(data) / MB:.0f} MB each"


def stream_flood(grpc_target, streams=5_000):
    def attack(stop, tally):
        def client():
            options = [("grpc.use_local_subchannel_pool", 1)]  # a connection of its own
            channel = grpc.insecure_channel(grpc_target, options=options)
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "date-normalizer"
            request.inputs["text"].dtype = 7
            request.inputs["text"].tensor_shape.dim.add(size=1)
            request.inputs["text"].string_val.append(b"Tuesday, March 3rd 2015")
            slots = threading.Semaphore(streams)

            def done(future):
                error = future.exception()
                said = "" if error is None else f" ({error.details()[-70:]})"
                tally("answered" if error is None else error.code().name + said)
                slots.release()

            while not stop.is_set():
                if slots.acquire(timeout=0.1):
                    stub.Predict.future(request, timeout=120).add_done_callback(done)
            for _ in range(streams):  # wait for what is in flight before closing
                slots.acquire(timeout=120)
            channel.close()

        return [threading.Thread(target=client)]

    return attack, ""


ATTACKS = {
    "8 clients, char-rnn batch 1024 x length 4096 (over budget)": lambda rest, grpc_target: (
        work_attack(rest, 1024, 4096)
    ),
    "8 clients, char-rnn batch 64 x length 4096 (under budget, ~190 G)": lambda rest, grpc_target: (
        work_attack(rest, 64, 4096)
    ),
    "half-sent REST connections from 127.0.0.2": lambda rest, grpc_target: connection_attack(rest),
    "gRPC PredictRequests of 7,900,000 empty strings": lambda rest, grpc_target: string_flood(
        grpc_target
    ),
    "5,000 gRPC streams on one channel": lambda rest, grpc_target: stream_flood(grpc_target),
}


def attack_main(kind, rest_url, grpc_target):
    """The attacker process: runs ATTACKS[kind] until stdin closes, then
    prints {"note": ..., "outcomes": {...}} as one JSON line."""
    attack, note = ATTACKS[kind](rest_url, grpc_target)
    stop, outcomes, lock = threading.Event(), {}, threading.Lock()

    def tally(outcome):
        with lock:
            outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1

    threads = attack(stop, tally)
    for thread in threads:
        thread.start()
    print("started", flush=True)
    sys.stdin.read()
    stop.set()
    for thread in threads:
        thread.join(180)
    print(json.dumps({"note": note, "outcomes": outcomes}), flush=True)


def under(kind, normal, seconds, rest_url, grpc_target):
    """(normal latencies, normal errors, attacker's note, attacker outcomes)
    with attack `kind` running in its own process beside the normal clients."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.serving_faults",
        "attack",
        kind,
        rest_url,
        grpc_target,
    ]
    attacker = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.nice(NICE),
    )
    try:
        assert attacker.stdout.readline().strip() == "started", "the attacker did not start"
        time.sleep(1.0)  # let the attack build up first
        latencies, errors = normal.run(seconds)
    finally:
        report, _ = attacker.communicate("", timeout=300)
    found = json.loads(report.strip().splitlines()[-1]) if report.strip() else {}
    return latencies, errors, found.get("note", ""), found.get("outcomes", {})


def run(server_pid, rest_url, grpc_target, seconds, only=None):
    normal = NormalClients(rest_url, grpc_target)
    normal.run(3)  # warm up the clients
    quiet = normal.run(seconds)
    idle = rss_mb(server_pid)
    rows = []
    for kind in [k for k in ATTACKS if only is None or only in k]:
        latencies, errors, note, outcomes = under(kind, normal, seconds, rest_url, grpc_target)
        time.sleep(5)  # what the server keeps once the attack is over
        label = f"{kind} ({note})" if note else kind
        rows.append((label, latencies, errors, outcomes, rss_mb(server_pid)))
    print_rows(quiet, idle, rows, seconds)


def print_rows(quiet, idle, rows, seconds):
    base = np.percentile(quiet[0], 50) * 1000
    print(
        f"\nNormal clients (REST + gRPC, date-normalizer, a request every 0.1 s each) for "
        f"{seconds} s alone and beside each attack; ms. Idle RSS {idle:.0f} MB.\n"
    )
    print(
        "| attack | normal p50 | p99 | p50 / quiet | normal errors | RSS after - idle, MB "
        "| bar | attacker's outcomes |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")
    p99 = np.percentile(quiet[0], 99) * 1000
    print(f"| (none) | {base:.1f} | {p99:.1f} | 1.00 | {len(quiet[1])} | 0 | | |")
    for label, latencies, errors, outcomes, rss in rows:
        p50 = np.percentile(latencies, 50) * 1000 if latencies else float("nan")
        p99 = np.percentile(latencies, 99) * 1000 if latencies else float("nan")
        met = p50 / base <= 1.5 and not errors and rss - idle <= 200
        seen = ", ".join(f"{k}: {v:,}" for k, v in sorted(outcomes.items(), key=str))
        print(
            f"| {label} | {p50:.1f} | {p99:.1f} | {p50 / base:.2f} | {len(errors)} | "
            f"{rss - idle:+.0f} | {'met' if met else 'NOT met'} | {seen} |"
        )
        if errors:
            print(f"|   first normal error: {errors[0]} | | | | | | | |")


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "attack":
        sys.exit("usage: python -m benchmarks.serving_faults attack KIND REST_URL GRPC_TARGET")
    attack_main(*sys.argv[2:])
