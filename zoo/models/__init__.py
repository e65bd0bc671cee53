"""Models built from zoo layers."""

from zoo.models.char_lm import CharLM

__all__ = ["CharLM"]
