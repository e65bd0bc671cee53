"""`tfa.seq2seq.beam_search_decoder`: TF Addons' BeamSearchDecoder, a
step-by-step beam search for dynamic_decode that keeps every beam, with
length and coverage penalties (Wu et al. 2016) applied when choosing the
survivors of each step, over zoo.decoding's gather_tree, tile_batch, beam
gathering and penalties.

Layout: the cell runs on (batch * beam, ...) rows, example b's beams
together (tile_batch's order); the search keeps (batch, beam, ...)."""

import collections

import keras
import numpy as np
import tensorflow as tf

from zoo import decoding
from zoo.addons.seq2seq import attention_wrapper, decoder
from zoo.addons.seq2seq.attention_wrapper import is_rnn_cell
from zoo.addons.seq2seq.sampler import check_embedding_fn, embedder


class BeamSearchDecoderState(
    collections.namedtuple(
        "BeamSearchDecoderState",
        ("cell_state", "log_probs", "finished", "lengths", "accumulated_attention_probs"),
    )
):
    pass


class BeamSearchDecoderOutput(
    collections.namedtuple("BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))
):
    pass


class FinalBeamSearchDecoderOutput(
    collections.namedtuple(
        "FinalBeamDecoderOutput", ["predicted_ids", "beam_search_decoder_output"]
    )
):
    """predicted_ids (B, T, K), beams best first, and the per-step outputs."""


def tile_batch(t, multiplier, name=None):
    """(B, ...) -> (B * multiplier, ...), each example's rows together;
    any nested structure of tensors of known rank >= 1."""

    def tile(x):
        x = tf.convert_to_tensor(x)
        if x.shape.rank is None or x.shape.rank < 1:
            raise ValueError("t must have statically known rank")
        return decoding.tile_batch(x, multiplier)

    return tf.nest.map_structure(tile, t)


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


def gather_tree_from_array(t, parent_ids, sequence_length):
    """A stacked per-step array t (T, B, K, ...) or (T, B*K, ...) with each
    beam's steps followed back through parent_ids (T, B, K); steps past a
    beam's sequence_length (B, K) stay as they are."""
    t = tf.convert_to_tensor(t)
    max_time, batch_size, beam_width = (tf.shape(parent_ids)[i] for i in range(3))
    beam_ids = tf.tile(tf.reshape(tf.range(beam_width), [1, 1, -1]), [max_time, batch_size, 1])
    longest = tf.cast(tf.reduce_max(sequence_length, axis=1), tf.int32)
    sorted_ids = decoding.gather_tree(beam_ids, parent_ids, longest, beam_width + 1)
    inside = tf.transpose(tf.sequence_mask(sequence_length, maxlen=max_time), [2, 0, 1])
    sorted_ids = tf.where(inside, sorted_ids, beam_ids)
    shaped = tf.reshape(t, [max_time, batch_size, beam_width, -1])
    ordered = tf.gather(shaped, sorted_ids, axis=2, batch_dims=2)
    return tf.reshape(ordered, tf.shape(t))


def _check_static_batch_beam_maybe(shape, batch_size, beam_width):
    """False (with a warning) where a static shape cannot be (batch, beam, ...)."""
    if batch_size is None or shape[0] is None:
        return True
    if shape[0] == batch_size * beam_width:
        return True
    if (
        shape.rank >= 2
        and shape[1] is not None
        and shape[0] == batch_size
        and shape[1] == beam_width
    ):
        return True
    tf.get_logger().warning(
        f"TensorArray reordering expects elements to be reshapable to "
        f"[{batch_size}, {beam_width}, None], which is incompatible with the current shape "
        f"{shape}. Consider setting reorder_tensor_arrays to False to disable TensorArray "
        "reordering during the beam search."
    )
    return False


def _check_batch_beam(t, batch_size, beam_width):
    """An assert that a stacked array's elements reshape to (batch, beam, -1)."""
    shape = tf.shape(t)
    flat = tf.equal(shape[1], batch_size * beam_width)
    if t.shape.rank == 2:
        condition = flat
    else:
        split = tf.logical_and(tf.equal(shape[1], batch_size), tf.equal(shape[2], beam_width))
        condition = tf.logical_or(flat, split)
    message = (
        "TensorArray reordering expects elements to be reshapable to [batch_size, beam_size, -1] "
        "which is incompatible with the dynamic shape of the elements. Consider setting "
        "reorder_tensor_arrays to False to disable TensorArray reordering during the beam search."
    )
    return tf.debugging.Assert(condition, [message])


def _mask_probs(probs, eos_token, finished):
    """Finished beams put all their probability on EOS (log 0 there, the
    dtype's lowest value elsewhere); the others are unchanged."""
    return decoding.only_token_when_finished(probs, finished, eos_token, low=probs.dtype.min)


def _length_penalty(sequence_lengths, penalty_factor):
    if tf.get_static_value(penalty_factor) == 0:
        return 1.0
    return decoding.length_penalty_of(sequence_lengths, penalty_factor)


def attention_probs_from_attn_state(attention_state):
    """An AttentionWrapperState's alignments (averaged over mechanisms)."""
    probs = attention_state.alignments
    if isinstance(probs, tuple):
        probs = tf.reduce_mean(tf.stack(probs, -1), -1)
    return probs


def get_attention_probs(next_cell_state, coverage_penalty_weight):
    """The attention (B, K, T) for the coverage penalty, or None without one."""
    if coverage_penalty_weight == 0.0:
        return None
    states = next_cell_state if isinstance(next_cell_state, tuple) else (next_cell_state,)
    if isinstance(next_cell_state, attention_wrapper.AttentionWrapperState):
        states = (next_cell_state,)
    probs = [
        attention_probs_from_attn_state(s)
        for s in states
        if isinstance(s, attention_wrapper.AttentionWrapperState)
    ]
    if not probs:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional.")
    return probs[0] if len(probs) == 1 else tf.reduce_mean(tf.stack(probs, -1), -1)


def _get_scores(
    log_probs,
    sequence_lengths,
    length_penalty_weight,
    coverage_penalty_weight,
    finished,
    accumulated_attention_probs,
):
    """log p / length penalty (+ the coverage penalty of finished beams)."""
    scores = log_probs / tf.cast(
        _length_penalty(sequence_lengths, length_penalty_weight), log_probs.dtype
    )
    weight = tf.convert_to_tensor(coverage_penalty_weight)
    if weight.shape.rank != 0:
        raise ValueError(
            f"coverage_penalty_weight should be a scalar, but saw shape: {weight.shape}"
        )
    if tf.get_static_value(weight) == 0.0:
        return scores
    if accumulated_attention_probs is None:
        raise ValueError(
            "accumulated_attention_probs can be None only if coverage penalty is disabled."
        )
    penalty = decoding.coverage_penalty_of(accumulated_attention_probs, coverage_penalty_weight)
    penalty = penalty * tf.cast(finished, penalty.dtype)
    return scores + tf.cast(penalty, scores.dtype)[..., None]


def _beam_search_step(
    time,
    logits,
    next_cell_state,
    beam_state,
    batch_size,
    beam_width,
    end_token,
    length_penalty_weight,
    coverage_penalty_weight,
    output_all_scores=False,
):
    """One step: every beam's continuations scored, the best beam_width
    kept (their states, lengths, finished flags and attention gathered).
    logits (B, K, V) -> (BeamSearchDecoderOutput, BeamSearchDecoderState)."""
    finished_before = beam_state.finished
    running = tf.logical_not(finished_before)
    step_log_probs = _mask_probs(tf.nn.log_softmax(logits), end_token, finished_before)
    total = beam_state.log_probs[..., None] + step_log_probs
    vocab_size = logits.shape[-1] or tf.shape(logits)[-1]
    grows = tf.one_hot(
        tf.fill([batch_size, beam_width], end_token),
        vocab_size,
        on_value=np.int64(0),
        off_value=np.int64(1),
        dtype=tf.int64,
    )
    new_lengths = grows * tf.cast(running, tf.int64)[..., None] + beam_state.lengths[..., None]

    accumulated = None
    attention = get_attention_probs(next_cell_state, coverage_penalty_weight)
    if attention is not None:
        attention = attention * tf.cast(running, attention.dtype)[..., None]
        accumulated = beam_state.accumulated_attention_probs + attention
    scores = _get_scores(
        total,
        new_lengths,
        length_penalty_weight,
        coverage_penalty_weight,
        finished_before,
        accumulated,
    )
    best_scores, beam_ids, word_ids, index = decoding.best_continuations(scores, beam_width)
    static_batch = tf.get_static_value(batch_size)
    for t in (best_scores, beam_ids, word_ids, index):
        t.set_shape([static_batch, beam_width])

    log_probs = tf.gather(tf.reshape(total, [batch_size, -1]), index, batch_dims=1)
    finished_parent = decoding.gather_beams(finished_before, beam_ids)
    finished = tf.logical_or(finished_parent, tf.equal(word_ids, end_token))
    lengths = decoding.gather_beams(beam_state.lengths, beam_ids)
    lengths += tf.cast(tf.logical_not(finished_parent), tf.int64)
    next_accumulated = () if accumulated is None else decoding.gather_beams(accumulated, beam_ids)

    def regroup(state):
        if isinstance(state, tf.TensorArray) or state.shape.rank < 2:
            return state
        return decoding.gather_beams(state, beam_ids)

    next_state = BeamSearchDecoderState(
        cell_state=tf.nest.map_structure(regroup, next_cell_state),
        log_probs=log_probs,
        lengths=lengths,
        finished=finished,
        accumulated_attention_probs=next_accumulated,
    )
    output = BeamSearchDecoderOutput(
        scores=scores if output_all_scores else best_scores,
        predicted_ids=word_ids,
        parent_ids=beam_ids,
    )
    return output, next_state


class BeamSearchDecoderMixin:
    """What BeamSearchDecoder shares with TFA's other beam decoders."""

    def __init__(
        self,
        cell,
        beam_width,
        output_layer=None,
        length_penalty_weight=0.0,
        coverage_penalty_weight=0.0,
        reorder_tensor_arrays=True,
        output_all_scores=False,
        **kwargs,
    ):
        if not is_rnn_cell(cell):
            raise TypeError(
                f"cell must be an RNN cell (state_size, output_size, call), got {type(cell)}"
            )
        if output_layer is not None and not isinstance(output_layer, keras.layers.Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
            raise ValueError(f"beam_width must be a positive integer, got {beam_width!r}")
        self._cell, self._output_layer = cell, output_layer
        self._reorder_tensor_arrays = reorder_tensor_arrays
        self._output_all_scores = output_all_scores
        self._start_tokens = self._end_token = self._batch_size = None
        self._beam_width = beam_width
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        super().__init__(**kwargs)

    @property
    def batch_size(self):
        return self._batch_size

    def _rnn_output_size(self):
        size = tf.TensorShape(self._cell.output_size)
        if self._output_layer is None:
            return size
        return tf.TensorShape(
            list(self._output_layer.compute_output_shape((None, *size.as_list())))[1:]
        )

    @property
    def tracks_own_finished(self):
        """Beams move between rows, so the search keeps its own flags."""
        return True

    @property
    def output_size(self):
        width = tf.TensorShape([self._beam_width])
        scores = width.concatenate(self._rnn_output_size()) if self._output_all_scores else width
        return BeamSearchDecoderOutput(scores=scores, predicted_ids=width, parent_ids=width)

    def finalize(self, outputs, final_state, sequence_lengths):
        """Whole beams by gather_tree; TensorArrays in the cell state (an
        alignment history) reordered the same way."""
        longest = tf.cast(tf.reduce_max(final_state.lengths, axis=1), tf.int32)
        predicted_ids = gather_tree(
            outputs.predicted_ids, outputs.parent_ids, longest, self._end_token
        )
        if self._reorder_tensor_arrays:
            cell_state = tf.nest.map_structure(
                lambda t: self._maybe_sort_array_beams(t, outputs.parent_ids, final_state.lengths),
                final_state.cell_state,
            )
            final_state = final_state._replace(cell_state=cell_state)
        return FinalBeamSearchDecoderOutput(
            predicted_ids=predicted_ids, beam_search_decoder_output=outputs
        ), final_state

    def _merge_batch_beams(self, t, s=None):
        """(B, K, ...) -> (B * K, ...)."""
        merged = tf.reshape(
            t, tf.concat([[self._batch_size * self._beam_width], tf.shape(t)[2:]], 0)
        )
        static = tf.get_static_value(self._batch_size)
        merged.set_shape(
            tf.TensorShape([None if static is None else static * self._beam_width]).concatenate(
                t.shape[2:]
            )
        )
        return merged

    def _split_batch_beams(self, t, s=None):
        """(B * K, ...) -> (B, K, ...), with the error TFA gives when the
        rows are not batch * beam_width."""
        split = tf.reshape(t, tf.concat([[self._batch_size, self._beam_width], tf.shape(t)[1:]], 0))
        expected = tf.TensorShape(
            [tf.get_static_value(self._batch_size), self._beam_width]
        ).concatenate(t.shape[1:])
        if not split.shape.is_compatible_with(expected):
            raise ValueError(
                "Unexpected behavior when reshaping between beam width and batch size. The "
                f"reshaped tensor has shape: {split.shape}. We expected it to have shape "
                f"(batch_size, beam_width, depth) == {expected}. Perhaps you forgot to call "
                "get_initial_state with batch_size=encoder_batch_size * beam_width?"
            )
        split.set_shape(expected)
        return split

    def _maybe_split_batch_beams(self, t, s=None):
        if isinstance(t, tf.TensorArray):
            return t
        if t.shape.rank is None:
            raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")
        if tf.get_static_value(self._batch_size) is not None and t.shape[0] is not None:
            static = tf.get_static_value(self._batch_size) * self._beam_width
            if t.shape.rank >= 1 and t.shape[0] != static:
                raise ValueError(
                    f"The initial state has {t.shape[0]} rows; a beam search over a batch of "
                    f"{tf.get_static_value(self._batch_size)} with beam_width {self._beam_width} "
                    f"needs {static}: tile it with tfa.seq2seq.tile_batch (or call "
                    "get_initial_state with batch_size=batch_size * beam_width)."
                )
        return self._split_batch_beams(t, s) if t.shape.rank >= 1 else t

    def _maybe_merge_batch_beams(self, t, s=None):
        if isinstance(t, tf.TensorArray):
            return t
        if t.shape.rank is None:
            raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")
        return self._merge_batch_beams(t, s) if t.shape.rank >= 2 else t

    def _maybe_sort_array_beams(self, t, parent_ids, sequence_length):
        if not isinstance(t, tf.TensorArray):
            return t
        if t.element_shape.rank is None or t.element_shape.rank < 1:
            tf.get_logger().warning(
                "A TensorArray in the cell state is not amenable to sorting by the beam search "
                f"result: its elements need a known shape of rank >= 1, saw {t.element_shape}"
            )
            return t
        static_batch = tf.get_static_value(self._batch_size)
        if not _check_static_batch_beam_maybe(t.element_shape, static_batch, self._beam_width):
            return t
        stacked = t.stack()
        with tf.control_dependencies(
            [_check_batch_beam(stacked, self._batch_size, self._beam_width)]
        ):
            return gather_tree_from_array(stacked, parent_ids, sequence_length)

    def step(self, time, inputs, state, training=None, name=None):
        inputs = tf.nest.map_structure(self._merge_batch_beams, inputs)
        cell_state = tf.nest.map_structure(self._maybe_merge_batch_beams, state.cell_state)
        cell_outputs, next_cell_state = self._cell(inputs, cell_state, training=training)
        next_cell_state = tf.nest.pack_sequence_as(cell_state, tf.nest.flatten(next_cell_state))
        cell_outputs = tf.nest.map_structure(self._split_batch_beams, cell_outputs)
        next_cell_state = tf.nest.map_structure(self._maybe_split_batch_beams, next_cell_state)
        if self._output_layer is not None:
            cell_outputs = self._output_layer(cell_outputs)
        output, beam_state = _beam_search_step(
            time=time,
            logits=cell_outputs,
            next_cell_state=next_cell_state,
            beam_state=state,
            batch_size=self._batch_size,
            beam_width=self._beam_width,
            end_token=self._end_token,
            length_penalty_weight=self._length_penalty_weight,
            coverage_penalty_weight=self._coverage_penalty_weight,
            output_all_scores=self._output_all_scores,
        )
        finished = beam_state.finished
        next_inputs = tf.cond(
            tf.reduce_all(finished),
            lambda: self._start_inputs,
            lambda: self._embedding_fn(output.predicted_ids),
        )
        return output, beam_state, next_inputs, finished


class BeamSearchDecoder(BeamSearchDecoderMixin, decoder.BaseDecoder):
    """Beam search as a decoder layer: `decoder(embedding, start_tokens,
    end_token, initial_state) -> (FinalBeamSearchDecoderOutput,
    BeamSearchDecoderState, lengths)`. With an AttentionWrapper cell, set
    up its memory tiled with tile_batch and give the initial state a batch
    of batch_size * beam_width."""

    def __init__(
        self,
        cell,
        beam_width,
        embedding_fn=None,
        output_layer=None,
        length_penalty_weight=0.0,
        coverage_penalty_weight=0.0,
        reorder_tensor_arrays=True,
        output_all_scores=False,
        **kwargs,
    ):
        super().__init__(
            cell,
            beam_width,
            output_layer=output_layer,
            length_penalty_weight=length_penalty_weight,
            coverage_penalty_weight=coverage_penalty_weight,
            reorder_tensor_arrays=reorder_tensor_arrays,
            output_all_scores=output_all_scores,
            **kwargs,
        )
        self._embedding_fn = self._given_embedding_fn = check_embedding_fn(embedding_fn)

    def initialize(self, embedding, start_tokens, end_token, initial_state):
        if embedding is not None and self._given_embedding_fn is not None:
            raise ValueError("embedding and embedding_fn cannot be provided at same time")
        if embedding is None and self._given_embedding_fn is None:
            raise ValueError("You must provide either an embedding or an embedding_fn")
        self._embedding_fn = embedder(self._given_embedding_fn, embedding)
        start_tokens = tf.convert_to_tensor(start_tokens, tf.int32, name="start_tokens")
        if start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        self._end_token = tf.convert_to_tensor(end_token, tf.int32, name="end_token")
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._batch_size = tf.size(start_tokens)
        self._initial_cell_state = tf.nest.map_structure(
            self._maybe_split_batch_beams, initial_state
        )
        self._start_tokens = tf.tile(start_tokens[:, None], [1, self._beam_width])
        self._start_inputs = self._embedding_fn(self._start_tokens)
        first_beam = tf.one_hot(
            tf.zeros([self._batch_size], tf.int32), self._beam_width, on_value=True, off_value=False
        )
        finished = tf.logical_not(first_beam)  # all beams start equal: only the first is live
        dtype = tf.nest.flatten(self._initial_cell_state)[0].dtype
        log_probs = tf.where(first_beam, tf.constant(0.0, dtype), tf.constant(-np.inf, dtype))
        attention = get_attention_probs(self._initial_cell_state, self._coverage_penalty_weight)
        state = BeamSearchDecoderState(
            cell_state=self._initial_cell_state,
            log_probs=log_probs,
            finished=finished,
            lengths=tf.zeros([self._batch_size, self._beam_width], tf.int64),
            accumulated_attention_probs=() if attention is None else attention,
        )
        return finished, self._start_inputs, state

    @property
    def output_dtype(self):
        dtype = tf.nest.flatten(self._initial_cell_state)[0].dtype
        return BeamSearchDecoderOutput(scores=dtype, predicted_ids=tf.int32, parent_ids=tf.int32)

    def call(
        self,
        embedding,
        start_tokens=None,
        end_token=None,
        initial_state=None,
        training=None,
        **kwargs,
    ):
        initialize_kwargs = {
            **kwargs,
            "start_tokens": start_tokens,
            "end_token": end_token,
            "initial_state": initial_state,
        }
        return self.decode(embedding, initialize_kwargs, training)


__all__ = [
    "BeamSearchDecoder",
    "BeamSearchDecoderMixin",
    "BeamSearchDecoderOutput",
    "BeamSearchDecoderState",
    "FinalBeamSearchDecoderOutput",
    "attention_probs_from_attn_state",
    "gather_tree",
    "gather_tree_from_array",
    "get_attention_probs",
    "tile_batch",
]
