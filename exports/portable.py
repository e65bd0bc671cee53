"""Tracing without cuDNN: Keras picks the cuDNN kernel when a function is
traced on a GPU host, and a SavedModel or ONNX graph holding `CudnnRNN*`
ops runs nowhere else. Exports trace inside `portable(model)`."""

import contextlib

import keras


@contextlib.contextmanager
def portable(model):
    """Every recurrent layer of `model` uses Keras' portable loop within
    the block (zoo.layers.RNN and keras.layers.LSTM/GRU alike)."""
    saved = []
    try:
        for layer in model._flatten_layers(include_self=True, recursive=True):
            if isinstance(layer, keras.layers.RNN) and hasattr(layer, "use_cudnn"):
                saved.append((layer, layer.use_cudnn))
                layer.use_cudnn = False
        yield model
    finally:
        for layer, value in saved:
            layer.use_cudnn = value
