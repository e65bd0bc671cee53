"""ONNX-only versions under the embedded server (serving.onnx_servable):
a whole-search export and an int8 export of a tiny translator answer
REST and gRPC with their graphs' ids, list their graphs as signatures,
refuse a bad beam width naming it and serve on; a model with a
SavedModel version keeps serving that."""

import numpy as np
import pytest

from exports.exporter import export
from serving import GrpcClient, OnnxModel, RestClient, ServingError
from serving.repository import servable_folders
from serving.server import EmbeddedServer
from tests.exports.test_quantize import closeness_judge
from tests.zoo.test_seq2seq import TEXTS, tiny

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    model = tiny(attention="bahdanau", cell="lstm", max_output_length=9, scale=1.2)
    base = tmp_path_factory.mktemp("models")
    folders = {
        "tiny": export(model, base, ("onnx",), name="tiny"),
        "tiny-int8": export(
            model,
            base,
            ("onnx",),
            name="tiny-int8",
            quantize="int8",
            judge=closeness_judge(model, 1e9),
        ),
    }
    with EmbeddedServer(base, rest_port=0, grpc_port=0) as server:
        rest = RestClient(f"http://127.0.0.1:{server.rest_port}")
        with GrpcClient(f"127.0.0.1:{server.grpc_port}") as grpc:
            yield model, folders, rest, grpc


def feed(model, beam_width):
    return {
        "source_ids": model.encode_texts(TEXTS),
        "beam_width": np.array(beam_width, np.int64),
        "length_penalty": np.array(0.6, np.float32),
        "no_repeat_ngram_size": np.array(0, np.int64),
    }


def test_whole_search_answers_with_zoo_decodings_ids(served):
    model, _, rest, grpc = served
    want = np.asarray(model.decode(model.encode_texts(TEXTS), 3, 0.6)[0])
    by_rest = rest.predict("tiny", inputs=feed(model, 3), signature_name="search")
    np.testing.assert_array_equal(np.asarray(by_rest["ids"]), want)
    by_grpc = grpc.predict("tiny", feed(model, 3))  # serving_default is the search
    np.testing.assert_array_equal(by_grpc["ids"], want)


def test_int8_version_answers_with_its_graphs_ids(served):
    model, folders, rest, grpc = served
    want = OnnxModel(folders["tiny-int8"]).run("search", feed(model, 3))["ids"]
    np.testing.assert_array_equal(
        np.asarray(rest.predict("tiny-int8", inputs=feed(model, 3))["ids"]), want
    )
    np.testing.assert_array_equal(grpc.predict("tiny-int8", feed(model, 3))["ids"], want)


def test_metadata_lists_each_graph_as_a_signature(served):
    _, _, rest, _ = served
    signatures = rest.metadata("tiny-int8")["metadata"]["signature_def"]["signature_def"]
    assert set(signatures) == {"search", "encoder", "decoder", "serving_default"}
    want = {"source_ids", "beam_width", "length_penalty", "no_repeat_ngram_size"}
    assert set(signatures["search"]["inputs"]) == want


def test_a_bad_request_is_refused_naming_the_input_and_the_server_serves_on(served):
    model, _, rest, grpc = served
    refused = "beam_width must be an integer from 1 to"
    with pytest.raises(ServingError, match=refused):
        rest.predict("tiny", inputs=feed(model, 0))
    with pytest.raises(ServingError, match=refused):
        grpc.predict("tiny", feed(model, 0))
    with pytest.raises(ServingError, match="source_ids"):
        grpc.predict("tiny", {**feed(model, 1), "source_ids": np.zeros((2, 3), np.float32)})
    assert grpc.predict("tiny", feed(model, 1))["ids"].shape[0] == len(TEXTS)


def test_a_savedmodel_version_is_served_before_onnx_only_ones(tmp_path):
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "saved_model.pb").write_bytes(b"")
    (tmp_path / "onnx-only" / "2").mkdir(parents=True)
    (tmp_path / "onnx-only" / "2" / "zoo.json").write_text("{}")
    assert servable_folders(tmp_path) == {1: tmp_path / "1"}
    (tmp_path / "1" / "saved_model.pb").unlink()
    assert servable_folders(tmp_path) == {2: tmp_path / "onnx-only" / "2"}
