"""Tiny recipes and corpora for training tests (seconds, not minutes)."""

from training.recipe import load_recipe

TINY = """
name = "tiny-test"
[data]
file = "{file}"
seq_len = {seq_len}
batch_size = 16
[model]
cell = "{cell}"
units = 24
embedding_dim = 8
[train]
epochs = {epochs}
learning_rate = {lr}
final_learning_rate = {lr}
seed = 0
"""


def tiny_recipe(tmp_path, text, cell="lstm", epochs=2, seq_len=40, lr=0.01):
    (tmp_path / "corpus.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "tiny-test.toml"
    path.write_text(
        TINY.format(file="corpus.txt", cell=cell, epochs=epochs, seq_len=seq_len, lr=lr)
    )
    return load_recipe(path)
