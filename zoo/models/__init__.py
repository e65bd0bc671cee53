"""Models built from zoo layers."""

from zoo.models.char_lm import CharLM
from zoo.models.seq2seq import Seq2Seq

__all__ = ["CharLM", "Seq2Seq"]
