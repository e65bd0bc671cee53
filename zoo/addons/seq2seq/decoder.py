"""`tfa.seq2seq.decoder`: the step-by-step decoder interface and
dynamic_decode, the loop that runs one until every sequence has finished
(early stop) or `maximum_iterations` steps, whichever comes first."""

import abc

import keras
import tensorflow as tf


class _Interface:
    """What dynamic_decode reads from a decoder, in both of TFA's forms."""

    @property
    def batch_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    @property
    def output_dtype(self):
        raise NotImplementedError

    def finalize(self, outputs, final_state, sequence_lengths):
        raise NotImplementedError

    @property
    def tracks_own_finished(self):
        """True where the decoder reorders its batch (beam search) and so
        keeps `finished` itself."""
        return False


class Decoder(_Interface, metaclass=abc.ABCMeta):
    """TFA's first decoder interface: `initialize()` takes no inputs."""

    @abc.abstractmethod
    def initialize(self, name=None):
        """-> (finished, initial_inputs, initial_state)."""

    @abc.abstractmethod
    def step(self, time, inputs, state, training=None, name=None):
        """-> (outputs, next_state, next_inputs, finished)."""


class BaseDecoder(_Interface, keras.layers.Layer):
    """A decoder as a Keras layer: `decoder(inputs, initial_state=...,
    **initialize_kwargs) -> (outputs, final_state, sequence_lengths)`."""

    def __init__(
        self,
        output_time_major=False,
        impute_finished=False,
        maximum_iterations=None,
        parallel_iterations=32,
        swap_memory=False,
        **kwargs,
    ):
        self.output_time_major = output_time_major
        self.impute_finished = impute_finished
        self.maximum_iterations = maximum_iterations
        self.parallel_iterations = parallel_iterations
        self.swap_memory = swap_memory
        super().__init__(**kwargs)

    def build(self, input_shape=None):
        self.built = True  # the cell and output layer build on their first step

    def __call__(self, inputs, *args, training=None, **kwargs):
        """Straight to call: a decoder's state may hold TensorArrays (alignment
        history), which Keras 3's Layer.__call__ refuses, and decoding's
        output lengths are data-dependent, so it has no symbolic form."""
        self.built = True
        return self.call(inputs, *args, training=training, **kwargs)

    def call(self, inputs, initial_state=None, training=None, **kwargs):
        return self.decode(inputs, {**kwargs, "initial_state": initial_state}, training)

    def decode(self, inputs, initialize_kwargs, training=None):
        """dynamic_decode over this decoder with its own settings."""
        return dynamic_decode(
            self,
            output_time_major=self.output_time_major,
            impute_finished=self.impute_finished,
            maximum_iterations=self.maximum_iterations,
            parallel_iterations=self.parallel_iterations,
            swap_memory=self.swap_memory,
            training=training,
            decoder_init_input=inputs,
            decoder_init_kwargs=initialize_kwargs,
        )

    def initialize(self, inputs, initial_state=None, **kwargs):
        raise NotImplementedError

    def step(self, time, inputs, state, training=None):
        raise NotImplementedError


def _zeros(size, dtype, batch_size):
    shape = tf.constant(tf.TensorShape(size).as_list(), tf.int32)
    return tf.zeros(tf.concat([[batch_size], shape], 0), dtype=dtype)


def _where_finished(finished, done, fresh):
    """Per example: the kept value where finished, the new one elsewhere."""
    shaped = tf.reshape(
        finished, tf.concat([tf.shape(finished), tf.ones([fresh.shape.rank - 1], tf.int32)], 0)
    )
    return tf.where(shaped, done, fresh)


def _batch_major(t):
    return t if t.shape.rank < 2 else tf.transpose(t, [1, 0, *range(2, t.shape.rank)])


def dynamic_decode(
    decoder,
    output_time_major=False,
    impute_finished=False,
    maximum_iterations=None,
    parallel_iterations=32,
    swap_memory=False,
    training=None,
    scope=None,
    enable_tflite_convertible=False,
    **kwargs,
):
    """Run `decoder` step by step until every sequence is finished or
    `maximum_iterations` steps -> (final_outputs, final_state,
    final_sequence_lengths). With impute_finished, finished sequences'
    outputs are zeros and their states are carried through unchanged. With
    enable_tflite_convertible the outputs are fixed-size arrays (LiteRT has
    no growing TensorArray), which needs maximum_iterations and batch 1."""
    if not isinstance(decoder, Decoder | BaseDecoder):
        raise TypeError(f"Expected decoder to be type Decoder, but saw: {type(decoder)}")
    if maximum_iterations is not None:
        maximum_iterations = tf.convert_to_tensor(
            maximum_iterations, tf.int32, name="maximum_iterations"
        )
        if maximum_iterations.shape.rank != 0:
            raise ValueError("maximum_iterations must be a scalar")
        tf.debugging.assert_greater_equal(
            maximum_iterations,
            0,
            message="maximum_iterations should be greater than or equal to 0.",
        )
    if enable_tflite_convertible and maximum_iterations is None:
        raise ValueError("maximum_iterations is required when enable_tflite_convertible is set")

    if isinstance(decoder, Decoder):
        finished, inputs, state = decoder.initialize()
    else:
        init_input = kwargs.pop("decoder_init_input", None)
        init_kwargs = kwargs.pop("decoder_init_kwargs", {})
        finished, inputs, state = decoder.initialize(init_input, **init_kwargs)
    if enable_tflite_convertible:
        tf.debugging.assert_equal(
            decoder.batch_size, 1, message="TFLite conversion requires a batch size of 1"
        )
    zero_outputs = tf.nest.map_structure(
        lambda s, d: _zeros(s, d, decoder.batch_size), decoder.output_size, decoder.output_dtype
    )
    if maximum_iterations is not None:
        finished = tf.logical_or(finished, 0 >= maximum_iterations)
    lengths = tf.zeros_like(finished, dtype=tf.int32)

    def array(size, dtype):
        if enable_tflite_convertible:
            shape = tf.TensorShape([1]).concatenate(tf.TensorShape(size))
            return tf.TensorArray(dtype, size=maximum_iterations, element_shape=shape)
        return tf.TensorArray(dtype, size=0, dynamic_size=True)

    arrays = tf.nest.map_structure(array, decoder.output_size, decoder.output_dtype)
    step_kwargs = {} if isinstance(decoder, Decoder) else {"training": training}

    def body(time, arrays, state, inputs, finished, lengths):
        outputs, next_state, next_inputs, step_finished = decoder.step(
            time, inputs, state, **step_kwargs
        )
        next_finished = step_finished if decoder.tracks_own_finished else step_finished | finished
        lengths = tf.where(finished, lengths, time + 1)
        tf.nest.assert_same_structure(state, next_state)
        tf.nest.assert_same_structure(inputs, next_inputs)
        if impute_finished:
            outputs = tf.nest.map_structure(
                lambda out, zero: _where_finished(finished, zero, out), outputs, zero_outputs
            )
            next_state = tf.nest.map_structure(_carry(finished), next_state, state)
        if enable_tflite_convertible:  # fixed element shapes for LiteRT
            outputs = tf.nest.map_structure(
                lambda out, zero: tf.reshape(out, tf.shape(zero)), outputs, zero_outputs
            )
        arrays = tf.nest.map_structure(lambda ta, out: ta.write(time, out), arrays, outputs)
        return time + 1, arrays, next_state, next_inputs, next_finished, lengths

    _, arrays, state, _, _, lengths = tf.while_loop(
        lambda *loop: tf.logical_not(tf.reduce_all(loop[4])),
        body,
        (tf.constant(0, tf.int32), arrays, state, inputs, finished, lengths),
        parallel_iterations=parallel_iterations,
        maximum_iterations=maximum_iterations,
        swap_memory=swap_memory,
    )
    outputs = tf.nest.map_structure(lambda ta: ta.stack(), arrays)
    try:
        outputs, state = decoder.finalize(outputs, state, lengths)
    except NotImplementedError:
        pass
    if not output_time_major:
        outputs = tf.nest.map_structure(_batch_major, outputs)
    return outputs, state, lengths


def _carry(finished):
    """A finished example keeps its state; TensorArrays and scalars pass."""

    def keep(new, current):
        if isinstance(current, tf.TensorArray) or new.shape.rank == 0:
            return new
        new.set_shape(current.shape)
        return _where_finished(finished, current, new)

    return keep
