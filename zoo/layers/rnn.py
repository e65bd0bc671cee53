"""`zoo.layers.RNN`: keras.layers.RNN, faster for zoo cells.

Two things on top of the Keras layer, both invisible in the results:
- The input projection `x @ kernel + bias` runs once over the whole
  sequence before the time loop (one large matmul instead of T small ones);
  each step then does only the recurrent matmul and the gate arithmetic.
- Standard LSTM / GRU configurations (cell.fused_kernel() is 'lstm' or
  'gru') go to the backend's fused kernel when one exists, as
  keras.layers.LSTM / GRU do: cuDNN on a GPU. Keras decides this when the
  function is traced, so exporters build with `use_cudnn=False` to get the
  portable loop (no CudnnRNN ops in a SavedModel made on a GPU host).
"""

import keras
from keras import ops, tree
from keras.src import backend  # backend.lstm / backend.gru: the fused kernels

from zoo.layers.cell_base import ZooCell

_USE_CUDNN = ("auto", True, False)


@keras.saving.register_keras_serializable(package="zoo")
class RNN(keras.layers.RNN):
    """Recurrent layer over a zoo cell (or any Keras cell, then exactly
    keras.layers.RNN). Same arguments as keras.layers.RNN plus `use_cudnn`:
    'auto' uses the fused kernel when the cell and hardware allow, True
    insists on it (error otherwise), False never uses it."""

    def __init__(self, cell, use_cudnn="auto", **kwargs):
        if use_cudnn not in _USE_CUDNN:
            raise ValueError(
                f"`use_cudnn` must be one of {_USE_CUDNN}, got use_cudnn={use_cudnn!r}"
            )
        super().__init__(cell, **kwargs)
        self.use_cudnn = use_cudnn
        # Like keras.layers.LSTM: cuDNN ops cannot be XLA-compiled.
        if self._fused_kind() and backend.backend() == "tensorflow" and self._gpu_fusable():
            self.supports_jit = False

    def _fused_kind(self):
        kind = self.cell.fused_kernel() if isinstance(self.cell, ZooCell) else None
        if kind and self.use_cudnn is not False and not self.unroll:
            return kind
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
        if not isinstance(self.cell, ZooCell):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        fused = self._try_fused(sequences, initial_state, mask, training)
        if fused is not None:
            return fused
        if self.use_cudnn is True:
            raise ValueError(
                "use_cudnn=True, but this cell configuration or backend/device has "
                "no fused kernel. Pass use_cudnn='auto' to fall back to the "
                "portable implementation."
            )
        return self._projected_loop(sequences, initial_state, mask, training)

    def _projected_loop(self, sequences, initial_state, mask, training):
        cell = self.cell
        # Project in time-major order: transposing the narrow inputs is
        # cheaper than transposing the G-times wider projection.
        inputs = ops.transpose(cell.drop_inputs(sequences, training), (1, 0, 2))
        projected = cell.project_inputs(inputs)
        if mask is not None:
            mask = ops.transpose(mask, (1, 0))

        def step(inputs, states):
            return cell.step(inputs, list(states), training=training)

        last, outputs, states = backend.rnn(
            step,
            projected,
            initial_state,
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            time_major=True,
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )
        return last, ops.transpose(outputs, (1, 0, 2)), states

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
            mask=mask,
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
                return backend.lstm(sequences, initial_state[0], initial_state[1], **common)
            return backend.gru(sequences, initial_state[0], reset_after=True, **common)
        except NotImplementedError:
            return None

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
