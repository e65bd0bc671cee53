"""What a request will cost, from its inputs and the export's `work`
terms in zoo.json (exports.work writes them; see there for the units),
in multiply-adds: a server refuses a request over its budget before it
runs, and sends the costly ones it accepts down a narrow lane."""

import numpy as np

from serving.errors import invalid
from zoo_runtime.images import declared_pixels

GIGA = 1e9


def _rows(value):
    return len(value) if value.ndim else 1


def _longest_bytes(value):
    if not value.size:
        return 0
    return max(len(v) if isinstance(v, bytes | str) else 0 for v in value.flat)


MEASURES = {
    "row": _rows,
    "element": lambda v: int(v.size),
    "byte": lambda v: _rows(v) * _longest_bytes(v),
    "value": lambda v: _rows(v) * max(int(v.max()), 0) if v.size and v.dtype.kind in "iu" else 0,
    "pixel": lambda v: int(np.prod(v.shape[:3])) if v.ndim == 4 else 0,
    "declared_pixel": lambda v: sum(map(_declared, v.flat)),
}


def _declared(data):
    pixels = declared_pixels(data) if isinstance(data, bytes) else None
    if pixels is None:
        raise invalid("image_bytes must be JPEG or PNG images whose header gives their size")
    return pixels


def request_macs(terms, feed):
    """Multiply-adds `feed` ({input: array}) would cost under `terms`."""
    total = 0
    for term in terms:
        value = feed.get(term["input"])
        if value is not None:
            total += MEASURES[term["per"]](np.asarray(value)) * term["macs"]
    return total


def check_work(terms, feed, budget_macs, where):
    """The request's multiply-adds, or INVALID_ARGUMENT when over budget."""
    macs = request_macs(terms, feed)
    if macs > budget_macs:
        raise invalid(
            f"this request to {where} would cost about {macs / GIGA:,.1f} G multiply-adds; "
            f"this server allows {budget_macs / GIGA:,.0f} G a request (--max-work-gmacs): "
            "send fewer rows, shorter texts or lengths, or smaller images"
        )
    return macs
