"""The LSTM family: one core cell whose flags cover the variants Greff et al.
studied ("LSTM: A Search Space Odyssey", 2017), and named presets.

Equations (per step; p_* are diagonal peepholes, LN is layer normalisation):

    z       = x W (+ b)  +  h_{t-1} U  [+ g_{t-1} R  with full gate recurrence]
    i       = sigmoid(z_i + p_i * c_{t-1})        (1 with input_gate=False)
    f       = sigmoid(z_f + p_f * c_{t-1})        (1 - i when coupled,
                                                   1 with forget_gate=False)
    c       = f * c_{t-1} + i * act(z_c)          (z_c with input_activation=False)
    o       = sigmoid(z_o + p_o * c_t)            (1 with output_gate=False)
    h       = o * act(c_t)                        (o * c_t with output_activation=False)

With layer_norm, LN applies to x W, h U and c_t inside act(.); with
normalize_carry the next step's c_{t-1} is LN(c_t) too (TF Addons' form).

Weights follow Keras' LSTM layout (gate blocks i, f, c, o along the last
axis), with absent gates' blocks left out: CIFG has blocks i, c, o.
"""

import keras
from keras import ops

from zoo.layers.cell_base import ZooCell, check_flag, check_implementation

# The Greff et al. variant switches (plus layer norm), all booleans.
VARIANT_FLAGS = (
    "peepholes",
    "coupled",
    "input_gate",
    "forget_gate",
    "output_gate",
    "input_activation",
    "output_activation",
    "gate_recurrence",
    "layer_norm",
    "normalize_carry",
)


@keras.saving.register_keras_serializable(package="zoo")
class LSTMCell(ZooCell):
    """Long short-term memory cell with the Greff et al. variants as flags.

    Args:
        units: size of the hidden and cell state.
        activation: input and output activation (tanh).
        recurrent_activation: gate activation (sigmoid).
        unit_forget_bias: start the forget-gate bias at 1.0 (Gers 2000;
            Jozefowicz 2015); only where a forget-gate block exists.
        peepholes: diagonal peephole weights; i and f look at c_{t-1},
            o looks at c_t (Gers & Schmidhuber 2000).
        coupled: couple input and forget gates, f = 1 - i (CIFG).
        input_gate, forget_gate, output_gate: False removes that gate
            (fixes it at 1): Greff's NIG, NFG, NOG.
        input_activation, output_activation: False makes the candidate /
            the output squashing linear: Greff's NIAF, NOAF.
        gate_recurrence: full gate recurrence (FGR): every gate also sees
            all gates' activations of the previous step.
        layer_norm: layer normalisation of x W, h U and of c_t before the
            output activation (Ba et al. 2016).
        normalize_carry: with layer_norm, carry the normalised c_t to the
            next step as well (TF Addons' LayerNormLSTMCell), not only
            squash it for the output.
        norm_epsilon: variance epsilon of the layer normalisations.
        norm_gamma_initializer, norm_beta_initializer: their scales' and
            shifts' initializers.
        implementation: Keras' legacy argument; accepted, no effect.
        dropout, recurrent_dropout: variational dropout rates (one mask per
            sequence on inputs and on the recurrent state).

    Example:

    >>> import keras, numpy as np
    >>> cell = LSTMCell(8, peepholes=True, coupled=True)
    >>> tuple(keras.layers.RNN(cell)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 8)
    """

    def __init__(
        self,
        units: int,
        unit_forget_bias: bool = True,
        peepholes: bool = False,
        coupled: bool = False,
        input_gate: bool = True,
        forget_gate: bool = True,
        output_gate: bool = True,
        input_activation: bool = True,
        output_activation: bool = True,
        gate_recurrence: bool = False,
        layer_norm: bool = False,
        normalize_carry: bool = False,
        norm_epsilon: float = 1e-3,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        peephole_initializer="glorot_uniform",
        implementation: int = 2,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.implementation = check_implementation(implementation)
        self.unit_forget_bias = check_flag("unit_forget_bias", unit_forget_bias)
        arguments = locals()
        for name in VARIANT_FLAGS:
            setattr(self, name, check_flag(name, arguments[name]))
        self._check_flag_conflicts()
        if not (isinstance(norm_epsilon, int | float) and norm_epsilon > 0):
            raise ValueError(
                f"`norm_epsilon` must be a number > 0, got norm_epsilon={norm_epsilon!r}"
            )
        self.norm_epsilon = float(norm_epsilon)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)
        self.norm_gamma_initializer = keras.initializers.get(norm_gamma_initializer)
        self.norm_beta_initializer = keras.initializers.get(norm_beta_initializer)
        self.gate_blocks = tuple(
            name
            for name, present in (
                ("i", self.input_gate),
                ("f", self.forget_gate and not self.coupled),
                ("c", True),
                ("o", self.output_gate),
            )
            if present
        )
        # Gates whose activations feed back with full gate recurrence.
        self.recurrent_gates = tuple(g for g in self.gate_blocks if g != "c")
        self.state_size = [self.units, self.units]
        if self.gate_recurrence:
            self.state_size.append(len(self.recurrent_gates) * self.units)

    def _check_flag_conflicts(self):
        if self.coupled and not self.input_gate:
            raise ValueError(
                "`coupled=True` derives the forget gate from the input gate "
                "(f = 1 - i), so it needs `input_gate=True`."
            )
        if self.coupled and not self.forget_gate:
            raise ValueError(
                "`coupled=True` defines the forget gate as 1 - i; it conflicts "
                "with `forget_gate=False` (f = 1). Choose one."
            )
        if self.normalize_carry and not self.layer_norm:
            raise ValueError(
                "`normalize_carry=True` normalises c_t, so it needs `layer_norm=True`."
            )
        if self.gate_recurrence and not (self.input_gate or self.forget_gate or self.output_gate):
            raise ValueError(
                "`gate_recurrence=True` needs at least one gate; all of "
                "input_gate, forget_gate and output_gate are False."
            )

    # ---- weights -------------------------------------------------------
    def make_bias_initializer(self):
        if not (self.unit_forget_bias and "f" in self.gate_blocks):
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def bias_initializer(shape, dtype=None):
            parts = [
                ops.ones((units,), dtype=dtype) if block == "f" else base((units,), dtype=dtype)
                for block in self.gate_blocks
            ]
            return ops.concatenate(parts)

        return bias_initializer

    def build_extra_weights(self):
        init = self.peephole_initializer
        if self.peepholes:
            if self.input_gate:
                self.input_peephole = self.add_vector("input_peephole", self.units, init)
            if "f" in self.gate_blocks:
                self.forget_peephole = self.add_vector("forget_peephole", self.units, init)
            if self.output_gate:
                self.output_peephole = self.add_vector("output_peephole", self.units, init)
        if self.gate_recurrence:
            width = len(self.recurrent_gates) * self.units
            self.gate_recurrent_kernel = self.add_weight(
                shape=(width, width),
                name="gate_recurrent_kernel",
                initializer=self.recurrent_initializer,
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )
        if self.layer_norm:
            sizes = {"kernel": self.gate_width, "recurrent": self.gate_width, "state": self.units}
            for part, size in sizes.items():
                stats = (
                    ("gamma", self.norm_gamma_initializer),
                    ("beta", self.norm_beta_initializer),
                )
                for stat, init in stats:
                    name = f"{part}_norm_{stat}"
                    setattr(self, name, self.add_vector(name, size, init))

    # ---- computation ---------------------------------------------------
    def _norm(self, x, part):
        # Written out rather than ops.layer_normalization: measured faster
        # here, most of all for XLA training steps (1.57x vs 1.90x Keras LSTM).
        mean = ops.mean(x, axis=-1, keepdims=True)
        centered = x - mean
        var = ops.mean(ops.square(centered), axis=-1, keepdims=True)
        normed = centered * ops.rsqrt(var + self.norm_epsilon)
        return normed * getattr(self, f"{part}_norm_gamma") + getattr(self, f"{part}_norm_beta")

    def normalize_input_projection(self, xw):
        return self._norm(xw, "kernel") if self.layer_norm else xw

    def step(self, projected, states, training=False):
        h_prev, c_prev = states[0], states[1]
        hu = ops.matmul(self.drop_recurrent(h_prev, training), self.recurrent_kernel)
        z = projected + (self._norm(hu, "recurrent") if self.layer_norm else hu)
        blocks = dict(
            zip(self.gate_blocks, ops.split(z, len(self.gate_blocks), axis=-1), strict=True)
        )
        if self.gate_recurrence:
            self._add_gate_feedback(blocks, states[2])

        gates = {}
        if self.input_gate:
            gates["i"] = self._gate(blocks["i"], "input_peephole", c_prev)
        if self.coupled:
            gates["f"] = 1.0 - gates["i"]
        elif self.forget_gate:
            gates["f"] = self._gate(blocks["f"], "forget_peephole", c_prev)
        candidate = self.activation(blocks["c"]) if self.input_activation else blocks["c"]
        c = gates.get("f", 1.0) * c_prev + gates.get("i", 1.0) * candidate
        if self.output_gate:
            gates["o"] = self._gate(blocks["o"], "output_peephole", c)
        out = self._norm(c, "state") if self.layer_norm else c
        if self.normalize_carry:
            c = out
        if self.output_activation:
            out = self.activation(out)
        h = gates["o"] * out if self.output_gate else out
        new_states = [h, c]
        if self.gate_recurrence:
            new_states.append(ops.concatenate([gates[g] for g in self.recurrent_gates], axis=-1))
        return h, new_states

    def _gate(self, pre_activation, peephole, c):
        if self.peepholes:
            pre_activation = pre_activation + getattr(self, peephole) * c
        return self.recurrent_activation(pre_activation)

    def _add_gate_feedback(self, blocks, prev_gates):
        """Full gate recurrence: every gate's pre-activation also gets R
        applied to all gates' activations of the previous step."""
        fed = ops.matmul(prev_gates, self.gate_recurrent_kernel)
        for gate, part in zip(
            self.recurrent_gates, ops.split(fed, len(self.recurrent_gates), axis=-1), strict=True
        ):
            blocks[gate] = blocks[gate] + part

    def fused_kernel(self):
        standard = self.gate_blocks == ("i", "f", "c", "o") and not (
            self.peepholes
            or not self.input_activation
            or not self.output_activation
            or self.gate_recurrence
            or self.layer_norm
        )
        return "lstm" if standard and self.use_bias and self.uses_standard_activations() else None

    def get_config(self):
        config = {name: getattr(self, name) for name in VARIANT_FLAGS}
        config.update(
            unit_forget_bias=self.unit_forget_bias,
            norm_epsilon=self.norm_epsilon,
            peephole_initializer=keras.saving.serialize_keras_object(self.peephole_initializer),
            norm_gamma_initializer=keras.initializers.serialize(self.norm_gamma_initializer),
            norm_beta_initializer=keras.initializers.serialize(self.norm_beta_initializer),
        )
        return {**super().get_config(), **config}


class _Preset(LSTMCell):
    """An LSTMCell with some flags fixed; passing a conflicting value for a
    fixed flag is an error rather than a silent override."""

    preset = {}

    def __init__(self, units, **kwargs):
        for name, value in self.preset.items():
            if kwargs.get(name, value) != value:
                raise ValueError(
                    f"{type(self).__name__} fixes `{name}={value}`; got "
                    f"{name}={kwargs[name]!r}. Use LSTMCell for other combinations."
                )
            kwargs[name] = value
        super().__init__(units, **kwargs)


@keras.saving.register_keras_serializable(package="zoo")
class PeepholeLSTMCell(_Preset):
    """LSTM with diagonal peephole connections (Gers & Schmidhuber 2000)."""

    preset = {"peepholes": True}


@keras.saving.register_keras_serializable(package="zoo")
class CIFGLSTMCell(_Preset):
    """Coupled input-forget gate LSTM: f = 1 - i (Greff et al.'s CIFG)."""

    preset = {"coupled": True}


@keras.saving.register_keras_serializable(package="zoo")
class LayerNormLSTMCell(_Preset):
    """Layer-normalised LSTM (Ba et al. 2016): LN(x W) + LN(h U) + b and
    h = o * tanh(LN(c_t)). The carried cell state c_t itself stays
    unnormalised, as in the paper (TF Addons normalised the carried state)."""

    preset = {"layer_norm": True}
