"""Argument checks shared by the Keras models and the apps that run their
exports, so both refuse the same inputs with the same words."""

import math

from zoo_runtime.limits import MAX_BEAM_WIDTH, MAX_NGRAM_SIZE


def check_texts(texts):
    """A list of strs, or TypeError naming the first that is not one."""
    if isinstance(texts, str | bytes):
        raise TypeError("takes a list of strings; wrap a single string in a list")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"takes a list of strings, got {type(texts).__name__}") from None
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"input {i} is a {type(text).__name__}, not a str")
    return texts


def check_ngram_size(size):
    """An int from 0 (no blocking) to MAX_NGRAM_SIZE (each step's work
    grows with it)."""
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_NGRAM_SIZE:
        raise ValueError(
            f"`no_repeat_ngram_size` must be an int from 0 (off) to {MAX_NGRAM_SIZE}, got {size!r}"
        )


def check_beam_width(beam_width, most=MAX_BEAM_WIDTH):
    """An int from 1 to `most` (a search's work grows with it)."""
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"`beam_width` must be an int >= 1, got {beam_width!r}")
    if beam_width > most:
        raise ValueError(f"`beam_width` must be at most {most}, got {beam_width}")


def check_generate_args(prompt, length, temperature, top_k, seed=None):
    """The types and ranges of a generate call (limits are checked apart)."""
    if not isinstance(prompt, str):
        raise TypeError(f"`prompt` must be a str, got {type(prompt).__name__}")
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"`length` must be an int >= 0, got {length!r}")
    if (
        not isinstance(temperature, int | float)
        or not math.isfinite(temperature)
        or temperature < 0
    ):
        raise ValueError(f"`temperature` must be a finite number >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"`top_k` must be None or an int >= 1, got {top_k!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not -(2**63) <= seed < 2**63
    ):
        raise ValueError(f"`seed` must be None or an int64, got {seed!r}")
