"""pytest plugin (`-p tests.keras_suites.dropin_plugin`): Keras' own RNN
test files, read from the installed keras package, see zoo's drop-ins.

Keras' tests reach the layers as `keras.src.layers.LSTM` etc., so those
names are replaced by zoo's classes. Keras' internals (Bidirectional's own
`isinstance(..., LSTM)`) keep the real Keras classes, which is the point:
the drop-ins must pass as what they subclass."""

import keras.src.layers as keras_layers

from zoo import layers as zoo_layers

DROP_INS = ("LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell")

for _name in DROP_INS:
    setattr(keras_layers, _name, getattr(zoo_layers, _name))


def pytest_report_header(config):
    patched = ", ".join(
        f"{name}={getattr(keras_layers, name).__module__}.{name}" for name in DROP_INS
    )
    return f"zoo drop-ins: {patched}"
