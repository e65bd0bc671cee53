"""A fast style network's ONNX graph (tiny model): its instance
normalisations are InstanceNormalization nodes, not tf2onnx's reshapes and
ReduceMeans, and the graph still gives Keras' images."""

import keras
import numpy as np
import onnx

from exports.exporter import export
from exports.onnx_export import op_types
from exports.onnx_norm import with_instance_norm
from serving import OnnxModel
from tests.zoo.helpers import randomize
from zoo.models import FastStyle


def test_instance_norm_replaces_the_reduce_means(tmp_path):
    model = FastStyle(filters=(4, 8, 8), residual_blocks=1)
    model.build()
    randomize(model, np.random.default_rng(3))
    directory = export(model, tmp_path, formats=("onnx",), name="tiny-style")  # verified
    graph = onnx.load(str(directory / "model.onnx"))
    ops = op_types(graph)
    norms = [x for x in model._flatten_layers() if isinstance(x, keras.layers.GroupNormalization)]
    assert len(norms) > 1 and ops.count("InstanceNormalization") == len(norms)
    assert "ReduceMean" not in ops
    image = np.random.default_rng(4).integers(0, 256, (2, 21, 30, 3)).astype(np.uint8)
    got = OnnxModel(directory).stylize(image).astype(int)
    assert np.abs(got - model.stylize(image).astype(int)).max() <= 1


def test_a_graph_without_the_pattern_is_left_as_it_was():
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("ReduceMean", ["x"], ["y"], "layer/moments/mean")],
        "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 1])],
    )
    model = onnx.helper.make_model(graph)
    before = model.SerializeToString()
    assert with_instance_norm(model).SerializeToString() == before
