"""Bad arguments raise ValueError naming the argument."""

import pytest

from zoo import layers

BAD = [
    (lambda: layers.LSTMCell(0), "units"),
    (lambda: layers.LSTMCell(-3), "units"),
    (lambda: layers.GRUCell(2.5), "units"),
    (lambda: layers.SimpleRNNCell("8"), "units"),
    (lambda: layers.LSTMCell(True), "units"),
    (lambda: layers.LSTMCell(4, activation="swishy"), "activation"),
    (lambda: layers.GRUCell(4, recurrent_activation="nope"), "recurrent_activation"),
    (lambda: layers.LSTMCell(4, dropout=1.0), "dropout"),
    (lambda: layers.LSTMCell(4, recurrent_dropout=-0.1), "recurrent_dropout"),
    (lambda: layers.GRUCell(4, dropout="half"), "dropout"),
    (lambda: layers.LSTMCell(4, coupled=True, input_gate=False), "input_gate"),
    (lambda: layers.LSTMCell(4, coupled=True, forget_gate=False), "forget_gate"),
    (
        lambda: layers.LSTMCell(
            4, gate_recurrence=True, input_gate=False, forget_gate=False, output_gate=False
        ),
        "gate_recurrence",
    ),
    (lambda: layers.LSTMCell(4, peepholes="yes"), "peepholes"),
    (lambda: layers.LayerNormLSTMCell(4, norm_epsilon=0), "norm_epsilon"),
    (lambda: layers.LayerNormLSTMCell(4, norm_epsilon="small"), "norm_epsilon"),
    (lambda: layers.PeepholeLSTMCell(4, peepholes=False), "peepholes"),
    (lambda: layers.CIFGLSTMCell(4, coupled=False), "coupled"),
    (lambda: layers.GRUCell(4, reset_after="no"), "reset_after"),
    (lambda: layers.RNN(layers.LSTMCell(4), use_cudnn="maybe"), "use_cudnn"),
    (lambda: layers.LSTM(0), "units"),
]


@pytest.mark.parametrize("make,argument", BAD, ids=[f"{a}-{k}" for k, (_, a) in enumerate(BAD)])
def test_bad_argument_raises_value_error_naming_it(make, argument):
    with pytest.raises(ValueError, match=f"`{argument}"):
        make()
