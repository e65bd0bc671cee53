"""Every use of Keras internals (`keras.src`) in the project, in one place,
checked against the Keras versions they were read from. Keras makes no
promise about these names between releases; the tests that exercise each
(named below) fail on an upgrade that moves them.

- `backend`: the backend module with the fused LSTM / GRU kernels and
  `cudnn_ok` (zoo.layers.RNN; tests/zoo/test_fused_dispatch.py).
- `DropoutRNNCell`: the dropout-mask mixin of Keras' own cells, so zoo
  cells take `dropout` / `recurrent_dropout` as they do (tests/zoo/test_dropout.py).
- `input_structure(model)`: how a Functional model nests its inputs
  (exports of any Keras model; tests/exports/test_any_keras_model.py).
- `tensorflow_trainer()`: the TensorFlow trainer module that multi-worker
  training patches (training.core.multi_worker; tests/training/test_multi_worker.py).
"""

import warnings

import keras
from keras.src import backend
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from keras.src.models import Functional

__all__ = ["DropoutRNNCell", "backend", "input_structure", "tensorflow_trainer"]
# Keras releases these internals were read from: [first, last] major.minor.
READ_FROM = ((3, 15), (3, 15))


def check_version(version=keras.__version__):
    """Warn (once per process) when Keras is a release these internals were
    not read from; the project pins keras>=3.15,<3.16 for this reason."""
    found = tuple(int(part) for part in version.split(".")[:2])
    if not READ_FROM[0] <= found <= READ_FROM[1]:
        warnings.warn(
            f"zoo reaches into Keras internals read from Keras "
            f"{'.'.join(map(str, READ_FROM[0]))}-{'.'.join(map(str, READ_FROM[1]))}; "
            f"this is Keras {version}. If something breaks, see zoo/compat.py.",
            RuntimeWarning,
            stacklevel=2,
        )
        return False
    return True


def input_structure(model):
    """A Functional model's nesting of its inputs (a list, a dict...), or
    None for any other model."""
    if type(model) is not Functional:
        return None
    return getattr(model, "_inputs_struct", None)


def tensorflow_trainer():
    """keras.src.backend.tensorflow.trainer (imports TensorFlow)."""
    from keras.src.backend.tensorflow import trainer

    return trainer


check_version()
