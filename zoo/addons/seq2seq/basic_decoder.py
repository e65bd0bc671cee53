"""`tfa.seq2seq.basic_decoder`: a cell, an optional output layer and a
sampler, stepped by dynamic_decode."""

import collections

import tensorflow as tf

from zoo.addons.seq2seq import decoder
from zoo.addons.seq2seq.sampler import Sampler


class BasicDecoderOutput(collections.namedtuple("BasicDecoderOutput", ("rnn_output", "sample_id"))):
    pass


class BasicDecoder(decoder.BaseDecoder):
    """Each step: cell(inputs, state) -> output_layer -> sampler's ids and
    next inputs. Returns BasicDecoderOutput(rnn_output, sample_id)."""

    def __init__(self, cell, sampler, output_layer=None, **kwargs):
        if not isinstance(sampler, Sampler):
            raise TypeError(f"sampler must be a Sampler, got {type(sampler)}")
        if output_layer is not None and not callable(output_layer):
            raise TypeError(f"output_layer must be a callable, got {type(output_layer)}")
        self.cell, self.sampler, self.output_layer = cell, sampler, output_layer
        super().__init__(**kwargs)

    def initialize(self, inputs, initial_state=None, **kwargs):
        self._cell_dtype = tf.nest.flatten(initial_state)[0].dtype
        finished, first_inputs = self.sampler.initialize(inputs, **kwargs)
        return finished, first_inputs, initial_state

    @property
    def batch_size(self):
        return self.sampler.batch_size

    def _rnn_output_size(self):
        size = tf.nest.map_structure(tf.TensorShape, self.cell.output_size)
        if self.output_layer is None:
            return size
        shape = self.output_layer.compute_output_shape((None, *tf.TensorShape(size).as_list()))
        return tf.TensorShape(list(shape)[1:])

    @property
    def output_size(self):
        return BasicDecoderOutput(self._rnn_output_size(), self.sampler.sample_ids_shape)

    @property
    def output_dtype(self):
        dtype = getattr(self, "_cell_dtype", tf.float32)
        rnn = tf.nest.map_structure(lambda _: dtype, self._rnn_output_size())
        return BasicDecoderOutput(rnn, tf.as_dtype(self.sampler.sample_ids_dtype))

    def step(self, time, inputs, state, training=None):
        cell_outputs, cell_state = self.cell(inputs, state, training=training)
        cell_state = tf.nest.pack_sequence_as(state, tf.nest.flatten(cell_state))
        if self.output_layer is not None:
            cell_outputs = self.output_layer(cell_outputs)
        sample_ids = self.sampler.sample(time=time, outputs=cell_outputs, state=cell_state)
        finished, next_inputs, next_state = self.sampler.next_inputs(
            time=time, outputs=cell_outputs, state=cell_state, sample_ids=sample_ids
        )
        return BasicDecoderOutput(cell_outputs, sample_ids), next_state, next_inputs, finished
