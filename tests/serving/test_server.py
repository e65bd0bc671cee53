"""The embedded server (`zoo serve`) against the zoo API: REST (row and
columnar JSON, b64) and gRPC round trips for every exported model give
what zoo.load(...) gives; status and metadata follow TF Serving's shapes;
bad requests get TF-Serving-style errors and the server keeps serving."""

import base64
import functools
import json
import urllib.request
from concurrent import futures

import numpy as np
import pytest
import tensorflow as tf

from serving import GrpcClient, RestClient, ServingError
from serving.server import EmbeddedServer
from tests.conftest import EXPORTED, load, task_of
from tests.serving import cases
from tests.serving.cases import caption as caption_case
from tests.serving.cases import fast_style as fast_style_case
from tests.serving.cases import seq2seq as seq2seq_case

pytestmark = pytest.mark.system

TEXTS = seq2seq_case.DATES


@pytest.fixture(scope="module")
def server(exported_models):
    with EmbeddedServer(exported_models[0], rest_port=0, grpc_port=0, max_body_mb=1) as server:
        yield server


@pytest.fixture(scope="module")
def rest(server):
    return RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)


@pytest.fixture(scope="module")
def grpc_client(server):
    with GrpcClient(f"127.0.0.1:{server.grpc_port}", timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def names(exported_models):
    return sorted(exported_models[1])


image, close_images, photo = fast_style_case.image, fast_style_case.close_images, caption_case.photo


@functools.cache  # the REST and gRPC round trips compare with the same answers
def expected(name):
    return cases.for_task(task_of(name)).expected(load(name), name)


def test_every_exported_model_is_served(server, names):
    assert server.repository.names() == names
    assert names == sorted(EXPORTED)


def test_rest_round_trip_every_model_both_formats(rest, names):
    for name in names:
        cases.for_task(task_of(name)).check_rest(rest, name, expected(name))


def test_rest_binary_values_travel_as_b64(rest):
    picture = image(40, 28)[0]
    png = tf.io.encode_png(picture).numpy()
    got = rest.predict("fast-style-wave", inputs={"image_bytes": [png]}, signature_name="encoded")
    decoded = tf.io.decode_png(got[0]).numpy()  # the output named *_bytes came back as b64
    assert close_images(decoded, load("fast-style-wave").stylize(picture))
    # a text input may be sent as b64 too
    rows = rest.predict(
        "date-normalizer", instances=[{"b64": base64.b64encode(b"1 Feb 2003").decode()}]
    )
    assert rows[0]["output"] == "2003-02-01"


def test_grpc_round_trip_every_model(grpc_client, names):
    for name in names:
        cases.for_task(task_of(name)).check_grpc(grpc_client, name, expected(name))


def test_status_and_metadata_rest_and_grpc(rest, grpc_client):
    status = rest.status("date-normalizer")
    assert status == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }
    assert rest.status("date-normalizer", version=1) == status
    meta = rest.metadata("char-lstm-shakespeare")
    assert meta["model_spec"] == {
        "name": "char-lstm-shakespeare",
        "signature_name": "",
        "version": "1",
    }
    signature = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert set(signature["inputs"]) == {"prompt", "length", "temperature", "seed"}
    assert signature["inputs"]["prompt"]["dtype"] == "DT_STRING"
    assert set(signature["outputs"]) == {"text", "log_prob"}
    assert grpc_client.status("date-normalizer") == [(1, "AVAILABLE")]
    signatures = grpc_client.metadata("fast-style-wave")
    assert set(signatures) == {"serving_default", "encoded"}
    assert set(signatures["encoded"].outputs) == {"stylized_png_bytes"}


def raw(server, method, path, body=None, content_type="application/json"):
    """(HTTP status, decoded JSON) of a request sent as given."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.rest_port}{path}",
        data=body,
        method=method,
        headers={"Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


PREDICT = "/v1/models/date-normalizer:predict"
BAD_REQUESTS = [
    ("malformed JSON", "POST", PREDICT, b'{"instances": ["1 Feb', 400, "JSON Parse error"),
    ("binary garbage", "POST", PREDICT, bytes(range(256)) * 8, 400, "JSON Parse error"),
    ("not an object", "POST", PREDICT, b'["1 Feb 2003"]', 400, "JSON object"),
    ("both formats", "POST", PREDICT, b'{"instances": ["a"], "inputs": ["a"]}', 400, "exactly one"),
    (
        "unknown model",
        "POST",
        "/v1/models/nope:predict",
        b'{"instances": ["a"]}',
        404,
        "Servable not found",
    ),
    (
        "unknown version",
        "POST",
        "/v1/models/date-normalizer/versions/7:predict",
        b'{"instances": ["a"]}',
        404,
        "Specific(date-normalizer, 7)",
    ),
    (
        "unknown label",
        "GET",
        "/v1/models/date-normalizer/labels/stable",
        None,
        404,
        "label: stable",
    ),
    (
        "wrong input name",
        "POST",
        PREDICT,
        b'{"inputs": {"txt": ["1 Feb 2003"]}}',
        400,
        "unknown input(s) ['txt']",
    ),
    (
        "wrong dtype",
        "POST",
        "/v1/models/char-rnn-shakespeare:predict",
        b'{"inputs": {"prompt": ["a"], "length": ["ten"], "temperature": [0], "seed": [0]}}',
        400,
        "must hold an integer",
    ),
    (
        "wrong shape",
        "POST",
        PREDICT,
        b'{"inputs": {"text": [["1 Feb 2003"]]}}',
        400,
        "must have shape (None,)",
    ),
    (
        "ragged",
        "POST",
        "/v1/models/fast-style-wave:predict",
        b'{"inputs": [[[[1, 2, 3]], [[1, 2]]]]}',
        400,
        "unequal lengths",
    ),
    ("bad b64", "POST", PREDICT, b'{"instances": [{"b64": "###"}]}', 400, "invalid base64"),
    (
        "model rejects input",
        "POST",
        PREDICT,
        b'{"instances": [""]}',
        400,
        "whitespace-only input text",
    ),
    (
        "over the length cap",
        "POST",
        "/v1/models/char-rnn-shakespeare:predict",
        b'{"inputs": {"prompt": ["a"], "length": [99999], "temperature": [0], "seed": [0]}}',
        400,
        "length must lie in",
    ),
    (
        "unknown signature",
        "POST",
        PREDICT,
        b'{"signature_name": "x", "instances": ["a"]}',
        400,
        "signature 'x'",
    ),
    ("GET on predict", "GET", PREDICT, None, 405, "Method Not Allowed"),
    ("no such route", "GET", "/v2/whatever", None, 404, "Not Found"),
    (
        "oversized body",
        "POST",
        PREDICT,
        b'{"instances": ["' + b"x" * (2 << 20) + b'"]}',
        413,
        "Too Large",
    ),
]


@pytest.mark.parametrize(
    "what, method, path, body, status, message", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_rest_requests_get_tf_serving_errors_and_the_server_goes_on(
    server, rest, what, method, path, body, status, message
):
    got_status, got = raw(server, method, path, body)
    assert got_status == status, got
    assert set(got) == {"error"} and message in got["error"], got
    assert rest.predict("date-normalizer", instances=TEXTS[:1])[0]["output"] == "2015-03-03"


def test_bad_grpc_requests_get_status_codes(grpc_client):
    with pytest.raises(ServingError) as unknown:
        grpc_client.predict("nope", {"text": np.array([b"a"], object)})
    assert unknown.value.code == "NOT_FOUND"
    with pytest.raises(ServingError) as dtype:
        grpc_client.predict("date-normalizer", {"text": np.array([1.5], np.float32)})
    assert dtype.value.code == "INVALID_ARGUMENT" and "must be string" in dtype.value.message
    with pytest.raises(ServingError) as empty:
        grpc_client.predict("date-normalizer", {"text": np.array([b""], object)})
    assert empty.value.code == "INVALID_ARGUMENT"
    assert "whitespace-only input text" in empty.value.message
    got = grpc_client.predict("date-normalizer", {"text": np.array([b"1 Feb 2003"], object)})
    assert got["output"][0] == b"2003-02-01"


@pytest.fixture(scope="module")
def caption_server(captioner_export):
    with EmbeddedServer(captioner_export[1], rest_port=0, grpc_port=0, max_body_mb=1) as server:
        yield server


def test_a_captioner_answers_rest_and_grpc_and_refuses_bad_photos(caption_server, captioner_export):
    model, name = captioner_export[0], captioner_export[2].parent.name
    rest = RestClient(f"http://127.0.0.1:{caption_server.rest_port}", timeout=60)
    pictures = photo()
    want = model.caption(list(pictures), beam_width=1)
    got = rest.predict(name, inputs={"image": pictures})
    assert list(got["caption"]) == want and got["log_prob"][0] < 0
    jpeg = tf.io.encode_jpeg(pictures[0], quality=100).numpy()
    predict = f"/v1/models/{name}:predict"
    bad = [
        (b'{"inputs": {"image": [[[[1, 2, 3]]]]}}', "image sides"),
        (
            b'{"signature_name": "encoded", "instances": [{"b64": "aGVsbG8gd29ybGQ="}]}',
            "must be JPEG or PNG",
        ),
    ]
    for body, message in bad:
        status, error = raw(caption_server, "POST", predict, body)
        assert status == 400 and message in error["error"], error
    with GrpcClient(f"127.0.0.1:{caption_server.grpc_port}", timeout=60) as client:
        encoded = {"image_bytes": np.array([jpeg], object)}
        rows = client.predict(name, encoded, signature_name="encoded")
        decoded = tf.io.decode_jpeg(jpeg).numpy()
        assert [t.decode() for t in rows["caption"]] == model.caption([decoded], beam_width=1)
        with pytest.raises(ServingError) as broken:
            client.predict(
                name, {"image_bytes": np.array([jpeg[:300]], object)}, signature_name="encoded"
            )
        assert broken.value.code == "INVALID_ARGUMENT"
    assert list(rest.predict(name, inputs={"image": pictures})["caption"]) == want


def test_clients_report_what_went_wrong(rest):
    with pytest.raises(ServingError, match="NOT_FOUND"):
        rest.status("nope")
    with pytest.raises(ServingError, match="UNAVAILABLE"):
        RestClient("http://127.0.0.1:9", timeout=5).status("date-normalizer")
    with pytest.raises(ServingError, match="UNAVAILABLE|DEADLINE_EXCEEDED"):
        GrpcClient("127.0.0.1:9", timeout=2).status("date-normalizer")


def test_concurrent_clients_all_get_right_answers(server):
    """8 clients x 200 requests on loopback (REST and gRPC alternating):
    every answer right, none an error."""

    def client(index):
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}", timeout=60)
        grpc = GrpcClient(f"127.0.0.1:{server.grpc_port}", timeout=60)
        wrong = 0
        for i in range(200):
            text = TEXTS[(index + i) % 2]
            if i % 2:
                out = rest.predict("date-normalizer", instances=[text])[0]["output"]
            else:
                out = grpc.predict("date-normalizer", {"text": np.array([text], object)})
                out = out["output"][0].decode()
            wrong += out != {TEXTS[0]: "2015-03-03", TEXTS[1]: "2003-02-01"}[text]
        grpc.close()
        return wrong

    with futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(client, range(8))) == [0] * 8
