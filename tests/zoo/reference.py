"""Independent numpy references, written from the published equations.

They share no code with zoo.layers: weights are taken apart by the layout
DESIGN.md documents (gate blocks in Keras order along the last axis), and
each step is spelled out gate by gate in float64.
"""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def split_blocks(matrix, names, units):
    """{'i': W_i, ...} from a fused (..., len(names)*units) matrix."""
    return {n: matrix[..., k * units : (k + 1) * units] for k, n in enumerate(names)}


def lstm_reference(
    x,
    w,
    units,
    *,
    peepholes=False,
    coupled=False,
    input_gate=True,
    forget_gate=True,
    output_gate=True,
    input_activation=True,
    output_activation=True,
    gate_recurrence=False,
    layer_norm_eps=None,
    normalize_carry=False,
):
    """LSTM over x (batch, time, features) -> (outputs, h, c).

    `w` maps the cell's weight names to float64 arrays. Gates absent by the
    flags are constant 1 (or 1 - i for the coupled forget gate)."""
    names = [
        n
        for n, on in (
            ("i", input_gate),
            ("f", forget_gate and not coupled),
            ("c", True),
            ("o", output_gate),
        )
        if on
    ]
    W = split_blocks(w["kernel"], names, units)
    U = split_blocks(w["recurrent_kernel"], names, units)
    b = split_blocks(w.get("bias", np.zeros(len(names) * units)), names, units)
    fed = [n for n in names if n != "c"]  # gates fed back with full recurrence
    batch = x.shape[0]
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    prev_gates = {n: np.zeros((batch, units)) for n in fed}
    outputs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        if layer_norm_eps is None:
            pre = {n: xt @ W[n] + h @ U[n] + b[n] for n in names}
        else:
            xw = layer_norm(
                xt @ w["kernel"], w["kernel_norm_gamma"], w["kernel_norm_beta"], layer_norm_eps
            )
            hu = layer_norm(
                h @ w["recurrent_kernel"],
                w["recurrent_norm_gamma"],
                w["recurrent_norm_beta"],
                layer_norm_eps,
            )
            both = split_blocks(xw + hu, names, units)
            pre = {n: both[n] + b[n] for n in names}
        if gate_recurrence:
            R = w["gate_recurrent_kernel"]
            for k_to, n_to in enumerate(fed):
                for k_from, n_from in enumerate(fed):
                    block = R[
                        k_from * units : (k_from + 1) * units, k_to * units : (k_to + 1) * units
                    ]
                    pre[n_to] = pre[n_to] + prev_gates[n_from] @ block
        i = sigmoid(pre["i"] + (w["input_peephole"] * c if peepholes else 0)) if input_gate else 1.0
        if coupled:
            f = 1.0 - i
        elif forget_gate:
            f = sigmoid(pre["f"] + (w["forget_peephole"] * c if peepholes else 0))
        else:
            f = 1.0
        g = np.tanh(pre["c"]) if input_activation else pre["c"]
        c = f * c + i * g
        if output_gate:
            o = sigmoid(pre["o"] + (w["output_peephole"] * c if peepholes else 0))
        else:
            o = 1.0
        s = (
            c
            if layer_norm_eps is None
            else layer_norm(c, w["state_norm_gamma"], w["state_norm_beta"], layer_norm_eps)
        )
        h = o * (np.tanh(s) if output_activation else s)
        if normalize_carry:  # TF Addons' layer-norm LSTM carries LN(c_t)
            c = s
        gate_values = {"i": i, "f": f, "o": o}
        prev_gates = {n: gate_values[n] * np.ones((batch, units)) for n in fed}
        outputs.append(h)
    return np.stack(outputs, 1), h, c


def gru_reference(x, w, units, *, reset_after=True):
    """GRU (Cho et al.; Keras' z, r, h block order) -> (outputs, h)."""
    names = ["z", "r", "h"]
    W = split_blocks(w["kernel"], names, units)
    U = split_blocks(w["recurrent_kernel"], names, units)
    if reset_after:
        b_in = split_blocks(w["bias"][0], names, units)
        b_rec = split_blocks(w["bias"][1], names, units)
    else:
        b_in = split_blocks(w["bias"], names, units)
        b_rec = {n: 0.0 for n in names}
    h = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        z = sigmoid(xt @ W["z"] + b_in["z"] + h @ U["z"] + b_rec["z"])
        r = sigmoid(xt @ W["r"] + b_in["r"] + h @ U["r"] + b_rec["r"])
        if reset_after:
            hh = np.tanh(xt @ W["h"] + b_in["h"] + r * (h @ U["h"] + b_rec["h"]))
        else:
            hh = np.tanh(xt @ W["h"] + b_in["h"] + (r * h) @ U["h"])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, 1), h


def simple_rnn_reference(x, w, units):
    h = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])
        outputs.append(h)
    return np.stack(outputs, 1), h


def nas_reference(x, w, units, projection=None):
    """NAS cell (Zoph & Le 2017, the Penn Treebank cell of their figure 8;
    bias on the recurrent projection) -> (outputs, c, m)."""
    c = np.zeros((x.shape[0], units))
    m = np.zeros((x.shape[0], projection or units))
    blocks = lambda a: [a[:, k * units : (k + 1) * units] for k in range(8)]  # noqa: E731
    relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
    outputs = []
    for t in range(x.shape[1]):
        xs = blocks(x[:, t] @ w["kernel"])
        ms = blocks(m @ w["recurrent_kernel"] + w.get("bias", 0.0))
        a0, a1 = sigmoid(xs[0] + ms[0]), relu(xs[1] + ms[1])
        a2, a3 = sigmoid(xs[2] + ms[2]), relu(xs[3] * ms[3])
        a4, a5 = np.tanh(xs[4] + ms[4]), sigmoid(xs[5] + ms[5])
        a6, a7 = np.tanh(xs[6] + ms[6]), sigmoid(xs[7] + ms[7])
        c = np.tanh(np.tanh(a0 * a1) + c) * np.tanh(a2 + a3)
        m = np.tanh(c * np.tanh(np.tanh(a4 * a5) + sigmoid(a6 + a7)))
        if projection:
            m = m @ w["projection_weights"]
        outputs.append(m)
    return np.stack(outputs, 1), c, m


def esn_reference(x, w, leaky, activation=np.tanh):
    """Leaky-integrator echo state network (Jaeger 2001, eq. for leaky
    units): h_t = (1 - a) h_{t-1} + a f(W_in x_t + W h_{t-1} + b)."""
    h = np.zeros((x.shape[0], w["recurrent_kernel"].shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        pre = x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w.get("bias", 0.0)
        h = (1 - leaky) * h + leaky * activation(pre)
        outputs.append(h)
    return np.stack(outputs, 1), h


def layer_norm_simple_rnn_reference(x, w, eps):
    """Elman RNN with layer normalisation of the summed inputs (Ba et al.
    2016, eq. 4; gain only, the bias after it): h = tanh(g * LN(a) + b)."""
    h = np.zeros((x.shape[0], w["recurrent_kernel"].shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        a = x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"]
        h = np.tanh(layer_norm(a, w["gamma"], 0.0, eps) + w["bias"])
        outputs.append(h)
    return np.stack(outputs, 1), h
