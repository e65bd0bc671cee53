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

import zoo
from serving import GrpcClient, RestClient, ServingError
from serving.server import EmbeddedServer
from tests.conftest import EXPORTED, task_of

pytestmark = pytest.mark.system

TEXTS = ["Tuesday, March 3rd 2015", "1 Feb 2003", "on 31.12.99 at noon"]
SPANISH = ["¿Dónde está la estación?", "Tengo 3 gatos.", "¡Qué día más bonito!"]
PROMPTS = ["ROMEO:", "First Citizen:\n", ""]
REVIEWS = ["A wonderful, moving film.", "Dull and tedious; I didn't care.", "not bad"]
LENGTHS = [50, 20, 35]


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


def image(height=31, width=22, batch=1):
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (batch, height, width, 3)).astype(np.uint8)


def photo():
    """A Flickr8k test photo, small enough for a JSON request."""
    from PIL import Image

    from training.data.text_data import data_dir
    from zoo.images import read_image

    folder = data_dir() / "flickr8k"
    first = (folder / "test_images.txt").read_text().split()[0]
    small = Image.fromarray(read_image(folder / "images" / first)).resize((64, 48))
    return np.asarray(small)[None]


def close_images(got, want):
    return got.shape == want.shape and np.abs(got.astype(int) - want.astype(int)).max() <= 1


def texts_for(name):
    return SPANISH if name == "translate-spa-eng" else TEXTS


@functools.cache  # the REST and gRPC round trips compare with the same answers
def expected(name):
    model, task = zoo.load(name), task_of(name)
    if task == "sentiment":
        return model.predict_proba(REVIEWS), model.classify(REVIEWS)
    if task == "seq2seq":
        return model.translate(texts_for(name))
    if task == "char-lm":
        return [model.generate(p, n, temperature=0) for p, n in zip(PROMPTS, LENGTHS, strict=True)]
    if task == "caption":
        return model.caption(list(photo()), beam_width=1)
    assert task == "fast-style", name
    return model.stylize(image())


def lm_columns():
    return {"prompt": PROMPTS, "length": LENGTHS, "temperature": [0.0] * 3, "seed": [0] * 3}


def test_every_exported_model_is_served(server, names):
    assert server.repository.names() == names
    assert names == sorted(EXPORTED)


def test_rest_round_trip_every_model_both_formats(rest, names):
    for name in names:
        want = expected(name)
        if task_of(name) == "sentiment":
            rows = rest.predict(name, instances=REVIEWS)
            np.testing.assert_allclose([r["probability"] for r in rows], want[0], atol=1e-5)
            assert [r["label"] for r in rows] == want[1]
            columns = rest.predict(name, inputs={"text": REVIEWS})
            np.testing.assert_allclose(columns["probability"], want[0], atol=1e-5)
        elif task_of(name) == "seq2seq":
            rows = rest.predict(name, instances=texts_for(name))
            assert [r["output"] for r in rows] == want
            assert all(r["log_prob"] < 0 for r in rows)
            assert list(rest.predict(name, inputs={"text": texts_for(name)})["output"]) == want
        elif task_of(name) == "char-lm":
            columns = lm_columns()
            rows = zip(*columns.values(), strict=True)
            instances = [dict(zip(columns, row, strict=True)) for row in rows]
            assert [r["text"] for r in rest.predict(name, instances=instances)] == want, name
            assert list(rest.predict(name, inputs=columns)["text"]) == want, name
        elif task_of(name) == "caption":
            rows = rest.predict(name, inputs={"image": photo()})
            assert list(rows["caption"]) == want and rows["log_prob"][0] < 0
        else:
            assert task_of(name) == "fast-style", name
            got = np.asarray(rest.predict(name, inputs={"image": image()}), np.uint8)
            assert close_images(got, want), name


def test_rest_binary_values_travel_as_b64(rest):
    picture = image(40, 28)[0]
    png = tf.io.encode_png(picture).numpy()
    got = rest.predict("fast-style-wave", inputs={"image_bytes": [png]}, signature_name="encoded")
    decoded = tf.io.decode_png(got[0]).numpy()  # the output named *_bytes came back as b64
    assert close_images(decoded, zoo.load("fast-style-wave").stylize(picture))
    # a text input may be sent as b64 too
    rows = rest.predict(
        "date-normalizer", instances=[{"b64": base64.b64encode(b"1 Feb 2003").decode()}]
    )
    assert rows[0]["output"] == "2003-02-01"


def test_grpc_round_trip_every_model(grpc_client, names):
    for name in names:
        want = expected(name)
        if task_of(name) == "sentiment":
            got = grpc_client.predict(name, {"text": np.array(REVIEWS, object)})
            np.testing.assert_allclose(got["probability"], want[0], atol=1e-5)
            assert [t.decode() for t in got["label"]] == want[1]
            explained = grpc_client.predict(
                name, {"text": np.array(REVIEWS[:1], object)}, signature_name="explain"
            )
            tokens, weights = zoo.load(name).explain(REVIEWS[0])
            assert [t.decode() for t in explained["tokens"][0]] == tokens
            np.testing.assert_allclose(explained["weights"][0], weights, atol=1e-5)
        elif task_of(name) == "seq2seq":
            got = grpc_client.predict(name, {"text": np.array(texts_for(name), object)})
            assert [t.decode() for t in got["output"]] == want
        elif task_of(name) == "char-lm":
            feed = {
                "prompt": np.array(PROMPTS, object),
                "length": np.array(LENGTHS, np.int32),
                "temperature": np.zeros(3, np.float32),
                "seed": np.zeros(3, np.int64),
            }
            got = grpc_client.predict(name, feed)
            assert [t.decode() for t in got["text"]] == want, name
        elif task_of(name) == "caption":
            got = grpc_client.predict(name, {"image": photo()})
            assert [t.decode() for t in got["caption"]] == want
        else:
            assert task_of(name) == "fast-style", name
            got = grpc_client.predict(name, {"image": image()})["stylized"]
            assert got.dtype == np.uint8 and close_images(got, want), name


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
