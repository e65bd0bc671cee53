"""Tiny recipes and corpora for training tests (seconds, not minutes)."""

from training.core.recipe import load_recipe

TINY = """
name = "tiny-test"
[data]
file = "{file}"
seq_len = {seq_len}
batch_size = 16
stream = {stream}
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


def tiny_recipe(tmp_path, text, cell="lstm", epochs=2, seq_len=40, lr=0.01, stream=False):
    (tmp_path / "corpus.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "tiny-test.toml"
    options = dict(cell=cell, epochs=epochs, seq_len=seq_len, lr=lr, stream=str(stream).lower())
    path.write_text(TINY.format(file="corpus.txt", **options))
    return load_recipe(path)


TINY_SEQ2SEQ = """
name = "tiny-seq2seq"
task = "seq2seq"
[data]
source = "{source}"
file = "{file}"
train_pairs = 1500
validation_pairs = 200
test_pairs = 100
batch_size = 32
[model]
units = 16
embedding_dim = 8
attention = "{attention}"
[train]
epochs = {epochs}
seed = 0
scheduled_sampling = "linear"
max_sampling = 0.2
"""


def tiny_seq2seq_recipe(tmp_path, epochs=2, source="dates", file="", attention="bahdanau"):
    path = tmp_path / "tiny-seq2seq.toml"
    path.write_text(
        TINY_SEQ2SEQ.format(source=source, file=file, epochs=epochs, attention=attention)
    )
    return load_recipe(path)
