"""Models built from zoo layers."""

from zoo.models.captioner import Captioner
from zoo.models.char_lm import CharLM
from zoo.models.fast_style import FastStyle
from zoo.models.seq2seq import Seq2Seq
from zoo.models.style_transfer import StyleTransfer
from zoo.models.text_classifier import TextClassifier
from zoo.models.word2vec import Word2Vec

__all__ = [
    "Captioner",
    "CharLM",
    "FastStyle",
    "Seq2Seq",
    "StyleTransfer",
    "TextClassifier",
    "Word2Vec",
]
