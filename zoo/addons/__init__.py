"""TensorFlow Addons' `rnn` and `seq2seq` API, built on zoo's layers and
decoding: TFA code runs after one changed import, `import zoo.addons as tfa`.
docs/tfa-migration.md lists each name, its zoo equivalent and every
behaviour difference."""

from zoo.addons import rnn, seq2seq

__all__ = ["rnn", "seq2seq"]
