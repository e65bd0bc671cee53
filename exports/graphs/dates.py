"""zoo_runtime.dates' checks in TensorFlow ops, for the SavedModel of a
translator whose config holds a date `output_check`: the same two rules,
inside the graph, so TF Serving flags what Keras flags."""

import datetime as dt

import tensorflow as tf

DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # February of a common year


def _ordinal(year, month, day):
    return year * 10000 + month * 100 + day


def _bounds(check):
    first, last = (dt.date.fromisoformat(check[k]) for k in ("first", "last"))
    return first, last


def answered(text, output, check):
    """valid (B,): True where `text` holds no year outside the check's span
    and `output` is a calendar date YYYY-MM-DD within it."""
    return _reads(text, check) & _is_date(output, check)


def _reads(text, check):
    first, last = _bounds(check)
    runs = tf.strings.split(tf.strings.strip(tf.strings.regex_replace(text, "[^0-9]+", " ")))
    four = tf.ragged.boolean_mask(runs, tf.strings.length(runs) == 4)
    years = tf.strings.to_number(four, tf.int32)  # ragged (B, runs)
    return tf.logical_not(tf.reduce_any((years < first.year) | (years > last.year), axis=1))


def _is_date(output, check):
    first, last = _bounds(check)
    shaped = tf.strings.regex_full_match(output, "[0-9]{4}-[0-9]{2}-[0-9]{2}")
    safe = tf.where(shaped, output, "2000-01-01")  # parse only what is shaped
    year, month, day = (
        tf.strings.to_number(tf.strings.substr(safe, start, size), tf.int32)
        for start, size in ((0, 4), (5, 2), (8, 2))
    )
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = tf.gather(DAYS, tf.clip_by_value(month, 1, 12) - 1)
    month_days += tf.cast((month == 2) & leap, tf.int32)
    ordinal = _ordinal(year, month, day)
    return (
        shaped
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= month_days)
        & (ordinal >= _ordinal(first.year, first.month, first.day))
        & (ordinal <= _ordinal(last.year, last.month, last.day))
    )
