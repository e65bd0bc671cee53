"""`tfa.seq2seq.beam_search_decoder` over zoo.decoding: gather_tree (with
TFA's check, and error type, for parent ids outside [0, beam_width)) and
tile_batch."""

import tensorflow as tf

from zoo import decoding


def tile_batch(t, multiplier, name=None):
    """(B, ...) -> (B * multiplier, ...), each example's rows together;
    any nested structure of tensors."""
    return decoding.tile_batch(tf.nest.map_structure(tf.convert_to_tensor, t), multiplier)


def gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token):
    """Beams (T, B, K) from per-step ids and parent beams (T, B, K)."""
    step_ids = tf.convert_to_tensor(step_ids)
    parent_ids = tf.convert_to_tensor(parent_ids, dtype=step_ids.dtype)
    max_time, beam_width = tf.shape(parent_ids)[0], tf.shape(parent_ids)[2]
    lengths = tf.minimum(tf.convert_to_tensor(max_sequence_lengths, tf.int32), max_time)
    inside = tf.transpose(tf.sequence_mask(lengths, max_time))[..., None]
    used = tf.where(inside, parent_ids, tf.zeros_like(parent_ids))
    valid = tf.reduce_all((used >= 0) & (used < tf.cast(beam_width, used.dtype)))
    check = tf.debugging.Assert(valid, ["All parent ids must be positive and less than beam_width"])
    with tf.control_dependencies([check]):
        return decoding.gather_tree(step_ids, parent_ids, lengths, end_token)


__all__ = ["gather_tree", "tile_batch"]
