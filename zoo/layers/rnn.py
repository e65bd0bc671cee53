"""`zoo.layers.RNN`: keras.layers.RNN that hands standard LSTM / GRU cells
to the backend's fused kernel, as keras.layers.LSTM / GRU do (cuDNN on a
GPU), and runs every other configuration as Keras' portable loop
(XLA-compilable). `zoo.layers.LSTM` / `GRU` / `SimpleRNN` subclass the
Keras layers of those names, so code that checks `isinstance(layer,
keras.layers.LSTM)` (Keras' fused Bidirectional kernel among it) treats
them as what they are.

Keras makes the fused-or-portable choice when a function is traced, so
exporters build with `use_cudnn=False` to get the portable loop: no
CudnnRNN ops in a SavedModel made on a GPU host.

Hoisting `x @ kernel` out of the time loop (one large matmul) was tried and
measured 1.1-1.5x slower on CPU than projecting per step, so the loop is
Keras' own.
"""

import keras
from keras import ops, tree

from zoo.compat import backend  # backend.lstm / backend.gru: the fused kernels
from zoo.layers.cell_base import ZooCell
from zoo.layers.gru import GRUCell
from zoo.layers.lstm import LSTMCell
from zoo.layers.simple_rnn import SimpleRNNCell

_USE_CUDNN = ("auto", True, False)


class _FusedDispatch:
    """Mixin for a keras.layers.RNN subclass: `use_cudnn` and an inner loop
    that offers standard LSTM / GRU cells to the backend's fused kernel.

    `use_cudnn` reads False for a cell no fused kernel computes (peepholes,
    layer norm, ...). Keras' Bidirectional reads it to decide whether to run
    both directions as one fused kernel, so a variant never reaches a
    kernel that would drop its extra weights."""

    def _init_dispatch(self, use_cudnn):
        if use_cudnn not in _USE_CUDNN:
            raise ValueError(
                f"`use_cudnn` must be one of {_USE_CUDNN}, got use_cudnn={use_cudnn!r}"
            )
        if use_cudnn is True and not self._cell_kind():
            raise ValueError(
                "use_cudnn=True, but no fused kernel computes this cell "
                f"configuration ({type(self.cell).__name__}). Pass "
                "use_cudnn='auto' or False to run the portable implementation."
            )
        # Not `self.use_cudnn = ...`: TF's tracking skips a setattr whose
        # value equals what the getter already returns.
        self._use_cudnn = use_cudnn
        # Like keras.layers.LSTM: cuDNN ops cannot be XLA-compiled.
        if self._fused_kind() and backend.backend() == "tensorflow" and self._gpu_fusable():
            self.supports_jit = False

    @property
    def use_cudnn(self):
        return self._use_cudnn if self._cell_kind() else False

    @use_cudnn.setter
    def use_cudnn(self, value):
        self._use_cudnn = value

    def _cell_kind(self):
        return self.cell.fused_kernel() if isinstance(self.cell, ZooCell) else None

    def _fused_kind(self):
        if self.use_cudnn is not False and not self.unroll:
            return self._cell_kind()
        return None

    def _gpu_fusable(self):
        cell = self.cell
        reset_after = getattr(cell, "reset_after", None)
        return backend.cudnn_ok(
            cell.activation, cell.recurrent_activation, self.unroll, cell.use_bias, reset_after
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if tree.is_nested(mask):
            mask = mask[0]
        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        fused = self._try_fused(sequences, initial_state, mask, training)
        if fused is not None:
            return fused
        if self.use_cudnn is True:
            raise ValueError(
                "use_cudnn=True, but this backend/device has no fused kernel. "
                "Pass use_cudnn='auto' to fall back to the portable implementation."
            )
        return keras.layers.RNN.inner_loop(self, sequences, initial_state, mask, training=training)

    def get_config(self):
        # The value asked for, not what the property reads for a variant.
        return {**super().get_config(), "use_cudnn": self._use_cudnn}

    def _try_fused(self, sequences, initial_state, mask, training):
        """The backend's fused LSTM/GRU (cuDNN), or None where it has none.
        Recurrent dropout cannot be expressed there; input dropout can."""
        kind = self._fused_kind()
        cell = self.cell
        if kind is None or (training and cell.recurrent_dropout > 0):
            return None
        if training and cell.dropout > 0:
            mask_x = cell.get_dropout_mask(sequences[:, 0, :])
            sequences = sequences * ops.expand_dims(mask_x, 1)
        common = dict(
            kernel=cell.kernel,
            recurrent_kernel=cell.recurrent_kernel,
            bias=cell.bias,
            activation=cell.activation,
            recurrent_activation=cell.recurrent_activation,
            return_sequences=self.return_sequences,
            go_backwards=self.go_backwards,
            unroll=self.unroll,
        )
        try:
            if kind == "lstm":
                return backend.lstm(sequences, initial_state[0], initial_state[1], mask, **common)
            return backend.gru(sequences, initial_state[0], mask, reset_after=True, **common)
        except NotImplementedError:
            return None


@keras.saving.register_keras_serializable(package="zoo")
class RNN(_FusedDispatch, keras.layers.RNN):
    """Recurrent layer over a zoo cell (or any Keras cell, then exactly
    keras.layers.RNN). Same arguments as keras.layers.RNN plus `use_cudnn`:
    'auto' uses the fused kernel when the cell and hardware allow, True
    insists on it (error otherwise), False never uses it."""

    def __init__(self, cell, use_cudnn="auto", **kwargs):
        super().__init__(cell, **kwargs)
        self._init_dispatch(use_cudnn)


# Layer arguments keras.layers.Layer itself takes; the rest go to the cell.
_BASE_LAYER_ARGS = (
    "name",
    "dtype",
    "trainable",
    "autocast",
    "input_shape",
    "input_dim",
    "batch_input_shape",
    "batch_size",
    "activity_regularizer",
)
_CELL_BOOKKEEPING = ("name", "dtype", "trainable")


class _CellLayer:
    """Mixin for a subclass of keras.layers.LSTM / GRU / SimpleRNN that
    builds a zoo cell from the same flat arguments (plus the cell's own
    flags). The Keras class's __init__ is skipped, since it builds Keras'
    cell; its properties (units, dropout, ...) read the zoo cell. The class
    name gives weight files the Keras layer's paths, so Keras weight files
    load as they are."""

    cell_class = None

    def __init__(
        self,
        units,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        layer_args = {k: kwargs.pop(k) for k in _BASE_LAYER_ARGS if k in kwargs}
        cell = self.cell_class(
            units,
            dtype=layer_args.get("dtype"),
            trainable=layer_args.get("trainable", True),
            name=f"{type(self).__name__.lower()}_cell",
            **kwargs,
        )
        keras.layers.RNN.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **layer_args,
        )
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def get_config(self):
        config = keras.layers.RNN.get_config(self)
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in _CELL_BOOKKEEPING:
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _FusableCellLayer(_FusedDispatch, _CellLayer):
    def __init__(self, units, use_cudnn="auto", **kwargs):
        super().__init__(units, **kwargs)
        self._init_dispatch(use_cudnn)


@keras.saving.register_keras_serializable(package="zoo")
class LSTM(_FusableCellLayer, keras.layers.LSTM):
    """Drop-in for keras.layers.LSTM over zoo.layers.LSTMCell: takes every
    LSTMCell flag (peepholes=True, coupled=True, layer_norm=True, ...)."""

    cell_class = LSTMCell


@keras.saving.register_keras_serializable(package="zoo")
class GRU(_FusableCellLayer, keras.layers.GRU):
    """Drop-in for keras.layers.GRU over zoo.layers.GRUCell."""

    cell_class = GRUCell


@keras.saving.register_keras_serializable(package="zoo")
class SimpleRNN(_CellLayer, keras.layers.SimpleRNN):
    """Drop-in for keras.layers.SimpleRNN over zoo.layers.SimpleRNNCell
    (no `use_cudnn`, as Keras': no fused kernel computes it)."""

    cell_class = SimpleRNNCell
