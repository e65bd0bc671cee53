"""One factory per cell configuration, for tests that run over all of them."""

from zoo import layers

UNITS = 8

CELLS = {
    "lstm": lambda: layers.LSTMCell(UNITS),
    "peephole": lambda: layers.PeepholeLSTMCell(UNITS),
    "cifg": lambda: layers.CIFGLSTMCell(UNITS),
    "layer-norm": lambda: layers.LayerNormLSTMCell(UNITS),
    "full-gate-recurrence": lambda: layers.LSTMCell(UNITS, gate_recurrence=True),
    "ablated": lambda: layers.LSTMCell(UNITS, input_gate=False, output_activation=False),
    "gru": lambda: layers.GRUCell(UNITS),
    "gru-reset-before": lambda: layers.GRUCell(UNITS, reset_after=False),
    "simple": lambda: layers.SimpleRNNCell(UNITS),
}
