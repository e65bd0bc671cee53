"""Every request is bounded before work starts, on loopback: declared
TensorProto sizes and JSON tensors against a byte budget, prompt and text
lengths and decoded pixels inside the graphs, a per-request deadline; a
version copied in slowly loads once complete; models.config names are
plain names. After each refusal the server still serves."""

import base64
import io
import json
import resource
import shutil
import time
import urllib.request

import grpc
import numpy as np
import pytest
from PIL import Image
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from serving import RestClient
from serving.server import EmbeddedServer
from tests.conftest import load

from .hostile import png_declaring

pytestmark = pytest.mark.system

LM = "char-rnn-shakespeare"


@pytest.fixture(scope="module")
def server(three_models):
    # No work budget here: these tests reach the graphs' own limits (which
    # TF Serving has too); tests/serving/test_hostile_clients.py tests it.
    with EmbeddedServer(
        three_models,
        rest_port=0,
        grpc_port=0,
        max_body_mb=2,
        max_tensor_mb=1,
        max_work_gmacs=float("inf"),
    ) as server:
        yield server


@pytest.fixture(scope="module")
def stub(server):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    yield prediction_service_pb2_grpc.PredictionServiceStub(channel)
    channel.close()


def post(server, path, body, headers=None):
    """(HTTP status, JSON body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.rest_port}{path}", data=data, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def still_serving(server):
    rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
    out = rest.predict(
        LM, inputs={"prompt": ["ROMEO:"], "length": [5], "temperature": [0.0], "seed": [0]}
    )
    return len(out["text"][0]) == 5


def lm_request(**protos):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = LM
    for key, (dtype, dims, field, values) in protos.items():
        tensor = request.inputs[key]
        tensor.dtype = dtype
        for d in dims:
            tensor.tensor_shape.dim.add(size=d)
        getattr(tensor, field).extend(values)
    return request


def normal_inputs(**override):
    inputs = {
        "prompt": (7, [1], "string_val", [b"ROMEO:"]),
        "length": (3, [1], "int_val", [5]),
        "temperature": (1, [1], "float_val", [0.0]),
        "seed": (9, [1], "int64_val", [0]),
    }
    return {**inputs, **override}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_tiny_grpc_message_declaring_200_million_floats_is_refused_unallocated(server, stub):
    request = lm_request(**normal_inputs(temperature=(1, [200_000_000], "float_val", [0.5])))
    assert request.ByteSize() < 200
    before = peak_rss_mb()
    with pytest.raises(grpc.RpcError) as refused:
        stub.Predict(request, timeout=60)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = refused.value.details()  # its declared batch is over the limit: checked first
    assert "'temperature'" in details and "batch of 200,000,000" in details, details
    assert peak_rss_mb() - before < 200, "800 MB of floats were allocated"
    assert still_serving(server)


@pytest.mark.parametrize(
    "inputs, message",
    [
        (normal_inputs(length=(3, [-1], "int_val", [5])), "negative dimension"),
        (normal_inputs(prompt=(7, [10**12], "string_val", [b"x"])), "batch of"),
        (normal_inputs(seed=(9, [1, 1 << 40, 1 << 40], "int64_val", [1])), "budget"),
    ],
)
def test_declared_shapes_are_checked_first(server, stub, inputs, message):
    with pytest.raises(grpc.RpcError) as refused:
        stub.Predict(lm_request(**inputs), timeout=60)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in refused.value.details()
    assert still_serving(server)


def test_a_json_tensor_over_the_budget_is_refused_naming_the_input(server):
    texts = ["x"] * 15_000  # 75 KB of JSON, 1.1 MB as strings (72 B each + bytes): over 1 MB
    status, body = post(server, "/v1/models/date-normalizer:predict", {"inputs": {"text": texts}})
    assert status == 400 and "'text'" in body["error"] and "budget" in body["error"]
    assert still_serving(server)


def test_a_huge_prompt_is_refused_before_the_model_reads_it(server):
    columns = {"prompt": ["x" * 210_000], "length": [5], "temperature": [0.0], "seed": [0]}
    start = time.perf_counter()
    status, body = post(server, f"/v1/models/{LM}:predict", {"inputs": columns})
    assert status == 400 and "prompt" in body["error"], body
    assert time.perf_counter() - start < 30  # was 49-62 s of LSTM steps before
    assert still_serving(server)


def test_blank_text_is_refused_by_the_served_model(server):
    status, body = post(server, "/v1/models/date-normalizer:predict", {"instances": ["  \t "]})
    assert status == 400 and "whitespace" in body["error"]


def encoded(image_bytes):
    return {
        "signature_name": "encoded",
        "instances": [{"b64": base64.b64encode(image_bytes).decode()}],
    }


def test_a_decompression_bomb_is_refused_from_its_header(server):
    bomb = png_declaring(6000, 6000)  # 36 million pixels
    assert len(bomb) < 100_000
    status, body = post(server, "/v1/models/fast-style-wave:predict", encoded(bomb))
    assert status == 400 and "image pixels" in body["error"], body
    gif = io.BytesIO()
    Image.new("RGB", (20, 20)).save(gif, "GIF")
    status, body = post(server, "/v1/models/fast-style-wave:predict", encoded(gif.getvalue()))
    assert status == 400 and "JPEG or PNG" in body["error"], body
    small = encoded(png_declaring(24, 20))
    status, body = post(server, "/v1/models/fast-style-wave:predict", small)
    assert status == 200, body


def test_a_request_past_its_deadline_gets_504_and_the_server_goes_on(three_models):
    with EmbeddedServer(
        three_models, rest_port=0, grpc_port=None, workers=1, request_timeout_s=0.5
    ) as server:
        slow = {
            "inputs": {
                "prompt": ["a"] * 64,
                "length": [4096] * 64,
                "temperature": [0.0] * 64,
                "seed": [0] * 64,
            }
        }
        started = time.perf_counter()
        status, body = post(server, f"/v1/models/{LM}:predict", slow)
        assert status == 504 and "longer than 0.5 s" in body["error"], body
        assert time.perf_counter() - started < 10
        # The one worker is still busy: this waits in the queue past its
        # deadline and is refused without running.
        status, _ = post(server, f"/v1/models/{LM}:predict", slow)
        assert status == 504
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, body = post(
                server, "/v1/models/date-normalizer:predict", {"instances": ["1 Feb 2003"]}
            )
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200 and body["predictions"][0]["output"] == "2003-02-01"


def test_a_version_copied_in_slowly_loads_once_complete(exported_models, tmp_path):
    source = exported_models[1]["date-normalizer"]
    base = tmp_path / "date-normalizer"
    shutil.copytree(source, base / "1")
    with EmbeddedServer(tmp_path, rest_port=0, grpc_port=None, poll_seconds=0.2) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}")
        partial = base / "2"
        partial.mkdir()
        shutil.copy(source / "saved_model.pb", partial)  # `cp -r` has not reached variables/
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            s["state"] == "END" for s in rest.status("date-normalizer")["model_version_status"]
        ):
            time.sleep(0.2)
        assert rest.predict("date-normalizer", instances=["1 Feb 2003"])[0]["output"]
        for item in source.iterdir():
            if item.name != "saved_model.pb":
                copy = shutil.copytree if item.is_dir() else shutil.copy
                copy(item, partial / item.name)
        while time.monotonic() < deadline:
            states = rest.status("date-normalizer")["model_version_status"]
            if [(s["version"], s["state"]) for s in states] == [("2", "AVAILABLE")]:
                break
            time.sleep(0.2)
        assert [(s["version"], s["state"]) for s in states] == [("2", "AVAILABLE")]


@pytest.mark.parametrize("name", ["../etc", "a/b", "..", ""])
def test_models_config_names_must_be_plain_folder_names(three_models, tmp_path, name):
    config = tmp_path / "models.config"
    config.write_text(
        f'model_config_list {{ config {{ name: "{name}" base_path: "/models/x" '
        'model_platform: "tensorflow" } }'
    )
    with pytest.raises(ValueError, match="plain folder name"):
        EmbeddedServer(three_models, rest_port=0, grpc_port=None, config_file=config).start()


def test_big_bodies_are_parsed_in_the_parser_process_with_the_same_answers(server):
    """Bodies over serving.parsing.BIG_BODY are parsed in another process:
    a 1.2 MB image request gives what the model gives, and a 1.5 MB body
    over the tensor budget is refused the same way as a small one."""
    from serving.parsing import BIG_BODY

    image = np.random.default_rng(3).integers(0, 256, (1, 300, 300, 3)).astype(np.uint8)
    body = json.dumps({"inputs": image.tolist()}).encode()
    assert len(body) > BIG_BODY
    status, got = post(server, "/v1/models/fast-style-wave:predict", body)
    assert status == 200, got
    want = load("fast-style-wave").stylize(image[0])
    assert np.abs(np.array(got["outputs"][0]) - want.astype(int)).max() <= 1
    over = json.dumps({"inputs": {"text": ["x"] * 300_000}}).encode()
    assert len(over) > BIG_BODY
    status, got = post(server, "/v1/models/date-normalizer:predict", over)
    assert status == 400 and "'text'" in got["error"] and "budget" in got["error"], got
    assert still_serving(server)
