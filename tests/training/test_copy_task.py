"""A tiny model learns the delayed-copy task: proof that the cells learn."""

import pytest

from training.data import copy_task

BOUND = 0.15  # nats per step on held-out data; chance is ln(VOCAB) = ln 6 = 1.79


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_tiny_model_learns_copy_task(cell):
    _, held_out = copy_task.train(cell, units=32, steps=200, seed=0)
    assert held_out < BOUND, f"{cell} held-out loss {held_out:.3f} >= {BOUND}"


def test_copy_targets_are_inputs_delayed():
    x, y = copy_task.copy_data(4, length=10, delay=3, seed=1)
    assert (y[:, 3:] == x[:, :-3]).all() and (y[:, :3] == 0).all()
    assert x.min() >= 1
