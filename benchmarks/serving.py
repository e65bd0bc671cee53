"""Latency of the embedded TF-Serving-compatible server (`zoo serve`) on
loopback, against calling the same SavedModel signature in-process.

The server runs in its own process (`python -m serving`); clients are
threads here. For each request kind, in one run:
- in-process: the signature called directly (tf.saved_model.load), median;
- one client, N requests in sequence, REST and gRPC: p50 / p99, and the
  p50's ratio to the in-process median (the serving overhead);
- 8 concurrent clients x N requests each, REST and gRPC: p50 / p99,
  requests per second, and the count of errors and wrong answers;
- the same 8 clients (gRPC, date-normalizer) with and without one hostile
  client beside them sending, back to back, the requests the hardening
  issue found: a 131-byte gRPC message declaring 200 million floats, a
  210,000-character prompt, a PNG declaring 36 million pixels, a JSON
  tensor over the byte budget. Target: normal p50 within 1.5x, 0 errors.

    python -m benchmarks.serving [--requests 200] [--clients 8]
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc  # noqa: E402

from benchmarks import serving_faults  # noqa: E402
from exports.exporter import export  # noqa: E402
from serving import GrpcClient, RestClient, ServingError  # noqa: E402
from tests.serving.hostile import png_declaring  # noqa: E402
from training import specimens  # noqa: E402

CASES = {
    "date-normalizer, 1 text": (
        "date-normalizer",
        {"text": ["Tuesday, March 3rd 2015"]},
        lambda out: out["output"][0] in ("2015-03-03", b"2015-03-03"),
    ),
    "char-lstm, 20 chars": (
        "char-lstm-shakespeare",
        {"prompt": ["ROMEO:"], "length": [20], "temperature": [0.0], "seed": [0]},
        lambda out: len(out["text"][0]) == 20,
    ),
}
DTYPES = {"length": np.int32, "temperature": np.float32, "seed": np.int64}


def arrays(inputs):
    return {k: np.array(v, DTYPES.get(k, object)) for k, v in inputs.items()}


def percentiles(seconds):
    ms = np.array(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def in_process(directory, inputs, repeats):
    fn = tf.saved_model.load(str(directory)).signatures["serving_default"]
    feed = {k: tf.constant(v) for k, v in arrays(inputs).items()}
    for _ in range(5):
        fn(**feed)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(**feed)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def start_server(root, default_limits=False):
    limits = [] if default_limits else ["--max-tensor-mb", "8"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serving",
            "--models",
            str(root),
            "--rest-port",
            "0",
            "--grpc-port",
            "0",
            *limits,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    process.stdout.readline()
    ports = process.stdout.readline()
    rest = ports.split("REST on ")[1].split(",")[0]
    grpc = ports.split("gRPC on ")[1].strip()
    return process, rest, grpc


def client_calls(protocol, rest_url, grpc_target, name, inputs):
    if protocol == "REST":
        client = RestClient(rest_url, timeout=120)
        return lambda: client.predict(name, inputs=inputs)
    client = GrpcClient(grpc_target, timeout=120)
    feed = arrays(inputs)
    return lambda: client.predict(name, feed)


def run_clients(make_call, check, clients, requests):
    """(latencies, errors, wrong answers, wall seconds) of `clients`
    threads each sending `requests` requests."""
    latencies, failures = [], {"errors": 0, "wrong": 0}
    lock = threading.Lock()

    def worker():
        call, mine = make_call(), []
        errors = wrong = 0
        for _ in range(requests):
            start = time.perf_counter()
            try:
                ok = check(call())
            except ServingError:
                errors, ok = errors + 1, True
            mine.append(time.perf_counter() - start)
            wrong += not ok
        with lock:
            latencies.extend(mine)
            failures["errors"] += errors
            failures["wrong"] += wrong

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures["errors"], failures["wrong"], time.perf_counter() - start


def hostile_requests(rest_url, grpc_target):
    """Callables sending one hostile request each; True when it was
    refused as it should be (INVALID_ARGUMENT / HTTP 400)."""
    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(grpc_target))
    bomb = predict_pb2.PredictRequest()
    bomb.model_spec.name = "char-lstm-shakespeare"
    for key, dtype, field, value in (
        ("prompt", 7, "string_val", b"ROMEO:"),
        ("length", 3, "int_val", 5),
        ("seed", 9, "int64_val", 0),
    ):
        bomb.inputs[key].dtype = dtype
        bomb.inputs[key].tensor_shape.dim.add(size=1)
        getattr(bomb.inputs[key], field).append(value)
    bomb.inputs["temperature"].dtype = 1
    bomb.inputs["temperature"].tensor_shape.dim.add(size=200_000_000)
    bomb.inputs["temperature"].float_val.append(0.5)

    def declared():
        try:
            stub.Predict(bomb, timeout=60)
        except grpc.RpcError as error:
            return error.code() == grpc.StatusCode.INVALID_ARGUMENT
        return False

    def rest(model, body):
        data = json.dumps(body).encode()  # once: the client's cost is not the server's

        def send():
            request = urllib.request.Request(f"{rest_url}/v1/models/{model}:predict", data=data)
            try:
                urllib.request.urlopen(request, timeout=60).read()
            except urllib.error.HTTPError as error:
                return error.code == 400
            return False

        return send

    prompt = {
        "inputs": {"prompt": ["x" * 210_000], "length": [5], "temperature": [0.0], "seed": [0]}
    }
    image = {
        "signature_name": "encoded",
        "instances": [{"b64": base64.b64encode(png_declaring(6000, 6000)).decode()}],
    }
    tensor = {"inputs": {"text": ["1 Feb 2003"] * 400_000}}  # over the 8 MB budget set below
    return {
        "gRPC, 200M floats declared": declared,
        "REST, 210,000-char prompt": rest("char-lstm-shakespeare", prompt),
        "REST, PNG declaring 36 Mpx": rest("fast-style-wave", image),
        "REST, 5 MB JSON tensor over budget": rest("date-normalizer", tensor),
    }


def under_attack(make, check, clients, requests, attacks):
    """Normal clients' (latencies, errors, wrong, wall) with one hostile
    client beside them sending `attacks` in turn, and per attack the
    number (sent, refused as it should be)."""
    stop, sent = threading.Event(), {name: [] for name in attacks}

    def hostile():
        while not stop.is_set():
            for name, attack in attacks.items():
                sent[name].append(attack())

    thread = threading.Thread(target=hostile)
    thread.start()
    try:
        result = run_clients(make, check, clients, requests)
    finally:
        stop.set()
        thread.join()
    return result, {name: (len(v), sum(v)) for name, v in sent.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per client")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--rows",
        choices=("latency", "faults", "all"),
        default="all",
        help="latency: the tables above; faults: benchmarks.serving_faults",
    )
    parser.add_argument("--seconds", type=float, default=20, help="each fault row's length")
    parser.add_argument("--only", help="run only the fault rows whose label holds this text")
    parser.add_argument("--models", type=Path, help="a folder this benchmark exported before")
    args = parser.parse_args(argv)
    root = args.models or Path(tempfile.mkdtemp(prefix="zoo-serving-bench-"))
    names = {name for name, _, _ in CASES.values()} | {"fast-style-wave", "char-rnn-shakespeare"}
    directories = {
        name: max(
            (v for v in (root / name).iterdir() if v.name.isdigit()), key=lambda v: int(v.name)
        )
        if args.models
        else export(specimens.source(name), root, check=False)
        for name in sorted(names)
    }
    if args.rows in ("faults", "all"):
        server, rest_url, grpc_target = start_server(root, default_limits=True)
        try:
            serving_faults.run(server.pid, rest_url, grpc_target, args.seconds, args.only)
        finally:
            server.terminate()
            server.wait()
    if args.rows == "faults":
        return
    server, rest_url, grpc_target = start_server(root)
    try:
        rows = []
        for case, (name, inputs, check) in CASES.items():
            local = in_process(directories[name], inputs, args.requests)
            for protocol in ("REST", "gRPC"):

                def make(protocol=protocol, name=name, inputs=inputs):
                    return client_calls(protocol, rest_url, grpc_target, name, inputs)

                run_clients(make, check, 1, 10)  # warm up
                one, *_ = run_clients(make, check, 1, args.requests)
                many, errors, wrong, wall = run_clients(make, check, args.clients, args.requests)
                rows.append(
                    (
                        case,
                        protocol,
                        local,
                        percentiles(one),
                        percentiles(many),
                        len(many) / wall,
                        errors,
                        wrong,
                    )
                )
        name, inputs, check = CASES["date-normalizer, 1 text"]

        def make():
            return client_calls("gRPC", rest_url, grpc_target, name, inputs)

        attacks = hostile_requests(rest_url, grpc_target)
        mixes = {
            "the issue's two (gRPC 200M floats, 210k prompt)": dict(list(attacks.items())[:2]),
            **{name: {name: attack} for name, attack in list(attacks.items())[2:]},
            "all four": attacks,
        }
        calm = run_clients(make, check, args.clients, args.requests)
        attacked = {
            label: under_attack(make, check, args.clients, args.requests, mix)
            for label, mix in mixes.items()
        }
    finally:
        server.terminate()
        server.wait()
    print_table(rows, args)
    print_attack(calm, attacked, args)


def print_attack(calm, attacked, args):
    p50, p99 = percentiles(calm[0])
    print(
        f"\n{args.clients} normal gRPC clients (date-normalizer) x {args.requests} requests, "
        "without and with one hostile client sending in turn; ms\n"
    )
    print(
        "| hostile client sends | normal p50 | p99 | p50 / without | normal errors | wrong "
        "| hostile sent, refused |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    print(f"| (none) | {p50:.2f} | {p99:.2f} | 1.00 | {calm[1]} | {calm[2]} | |")
    for label, (result, counts) in attacked.items():
        hp50, hp99 = percentiles(result[0])
        sent = "; ".join(f"{name}: {n}, {ok}" for name, (n, ok) in counts.items())
        met = "met" if hp50 / p50 <= 1.5 and result[1] == 0 else "NOT met"
        print(
            f"| {label} | {hp50:.2f} | {hp99:.2f} | {hp50 / p50:.2f} ({met}) | {result[1]} "
            f"| {result[2]} | {sent} |"
        )


def print_table(rows, args):
    print(f"\n{args.clients} clients x {args.requests} requests, loopback; ms\n")
    print(
        "| request | API | in-process | 1 client p50 | p99 | p50 / in-process "
        f"| {args.clients} clients p50 | p99 | requests/s | errors | wrong |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case, protocol, local, one, many, rate, errors, wrong in rows:
        print(
            f"| {case} | {protocol} | {local:.2f} | {one[0]:.2f} | {one[1]:.2f} | "
            f"{one[0] / local:.2f} | {many[0]:.2f} | {many[1]:.2f} | {rate:.0f} | "
            f"{errors} | {wrong} |"
        )


if __name__ == "__main__":
    main()
