"""`from exports import export` takes any built Keras model: Functional,
Sequential and subclassed, from zoo and Keras layers. The SavedModel's
serving_default uses the model's own input and output names, model.onnx
has native recurrent nodes, zoo.json describes both, and the export is
verified; here it is also compared with Keras independently, padded
(masked) token positions included."""

import json

import keras
import numpy as np
import onnxruntime as ort
import pytest
import tensorflow as tf

from exports import export
from exports.onnx_export import op_types
from zoo import layers

RNG = np.random.default_rng(5)


def text_classifier():
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(40, 8, mask_zero=True)(tokens)
    x = keras.layers.Bidirectional(layers.LSTM(6, peepholes=True, return_sequences=True))(x)
    x = layers.GRU(5)(x)
    probability = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
    return keras.Model(tokens, probability, name="classifier")


def sequential():
    return keras.Sequential(
        [
            keras.Input((None, 4), name="features"),
            layers.LSTM(6, coupled=True, return_sequences=True),
            keras.layers.GRU(5),
            keras.layers.Dense(3, name="scores"),
        ],
        name="stack",
    )


@keras.saving.register_keras_serializable(package="tests")
class Tagger(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rnn = layers.SimpleRNN(6, return_sequences=True)
        self.out = keras.layers.Dense(2)

    def call(self, x):
        return self.out(self.rnn(x))


def subclassed():
    model = Tagger(name="tagger")
    model(np.zeros((1, 3, 4), np.float32))
    return model


def padded_tokens():
    ids = RNG.integers(1, 40, (4, 9)).astype(np.int32)
    ids[1, 5:] = 0  # right padding
    ids[2, :4] = 0  # left padding
    ids[3, [2, 6]] = 0  # holes
    return {"tokens": ids}


CASES = {
    "functional": (text_classifier, ["tokens"], ["probability"], padded_tokens, {"LSTM", "GRU"}),
    "sequential": (
        sequential,
        ["features"],
        ["scores"],
        lambda: {"features": RNG.normal(size=(3, 6, 4)).astype(np.float32)},
        {"LSTM", "GRU"},
    ),
    "subclassed": (
        subclassed,
        ["input_0"],
        ["output_0"],
        lambda: {"input_0": RNG.normal(size=(2, 5, 4)).astype(np.float32)},
        {"RNN"},
    ),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def exported(request, tmp_path_factory):
    make, inputs, outputs, feed, ops = CASES[request.param]
    model = make()
    directory = export(model, tmp_path_factory.mktemp(request.param))
    return model, directory, inputs, outputs, feed(), ops


def keras_outputs(model, feed, inputs):
    value = model(feed[inputs[0]] if len(inputs) == 1 else [feed[k] for k in inputs])
    return np.asarray(value)


def test_serving_default_uses_the_models_own_names(exported):
    model, directory, inputs, outputs, feed, _ = exported
    serve = tf.saved_model.load(str(directory)).signatures["serving_default"]
    assert sorted(serve.structured_input_signature[1]) == inputs
    assert sorted(serve.structured_outputs) == outputs
    got = serve(**{k: tf.constant(v) for k, v in feed.items()})[outputs[0]].numpy()
    np.testing.assert_allclose(got, keras_outputs(model, feed, inputs), atol=1e-5)


def test_onnx_has_native_recurrent_nodes_and_matches_keras(exported):
    model, directory, inputs, outputs, feed, ops = exported
    import onnx

    found = set(op_types(onnx.load(str(directory / "model.onnx"))))
    assert ops <= found and "Loop" not in found
    session = ort.InferenceSession(str(directory / "model.onnx"))
    assert [i.name for i in session.get_inputs()] == inputs
    got = session.run(outputs, feed)[0]
    np.testing.assert_allclose(got, keras_outputs(model, feed, inputs), atol=1e-4)


def test_zoo_json_describes_the_contract_and_the_check(exported):
    model, directory, inputs, outputs, _, _ = exported
    sidecar = json.loads((directory / "zoo.json").read_text())
    assert sidecar["inputs"] == inputs and sidecar["outputs"] == outputs
    assert sidecar["class"] == type(model).__name__
    assert set(sidecar["verified"]) == {"model.onnx", "serving_default"}
    assert all(0 <= v <= 1e-4 for v in sidecar["verified"].values())


def test_onnx_model_runs_any_export(exported):
    from serving import OnnxModel

    model, directory, inputs, outputs, feed, _ = exported
    runtime = OnnxModel(directory)
    assert runtime.task == "tensors"
    got = runtime.run("model", feed)[outputs[0]]
    np.testing.assert_allclose(got, keras_outputs(model, feed, inputs), atol=1e-4)


def test_an_unbuilt_model_is_refused_with_a_reason(tmp_path):
    model = keras.Sequential([layers.LSTM(3)])
    with pytest.raises(ValueError, match="not built"):
        export(model, tmp_path)
    assert not any(tmp_path.rglob("saved_model.pb"))
