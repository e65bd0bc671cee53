"""Tracing for inference, anywhere: exports trace inside `portable(model)`.

- Without cuDNN: Keras picks the cuDNN kernel when a function is traced on
  a GPU host, and a SavedModel or ONNX graph holding `CudnnRNN*` ops runs
  nowhere else.
- Without dropout masks: Keras' RNN layer draws its cells' masks before the
  loop whatever `training` is; at inference nothing reads them, but each
  draw writes the seed generator's variable: a random op and a variable
  write in every graph of a model trained with dropout (LiteRT's converter
  cannot freeze it). With the
  rates at 0 while tracing, nothing is drawn."""

import contextlib

import keras

_RATES = ("dropout", "recurrent_dropout")


@contextlib.contextmanager
def portable(model):
    """Within the block, every recurrent layer of `model` uses Keras'
    portable loop (zoo.layers.RNN and keras.layers.LSTM/GRU alike) and
    every recurrent cell's dropout rates read 0; both are restored after."""
    saved = []
    try:
        for layer in model._flatten_layers(include_self=True, recursive=True):
            if isinstance(layer, keras.layers.RNN) and hasattr(layer, "use_cudnn"):
                saved.append((layer, "use_cudnn", layer.use_cudnn))
                layer.use_cudnn = False
            if hasattr(layer, "get_recurrent_dropout_mask"):  # a DropoutRNNCell
                for rate in _RATES:
                    saved.append((layer, rate, getattr(layer, rate)))
                    setattr(layer, rate, 0.0)
        yield model
    finally:
        for layer, attribute, value in reversed(saved):
            setattr(layer, attribute, value)
