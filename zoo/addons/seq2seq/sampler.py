"""`tfa.seq2seq.sampler`: what a BasicDecoder feeds itself at each step.

A sampler turns a step's outputs into sample ids and the next inputs:
teacher forcing (TrainingSampler), scheduled sampling (Bengio et al. 2015;
the two Scheduled* samplers), greedy or sampled ids through an embedding
(inference), or user functions (Custom / Inference). Greedy ids are
zoo.decoding's (top-k, which exports, rather than argmax); inputs are read
batch- or time-major as TFA did."""

import abc

import tensorflow as tf

from zoo import decoding


def _time_major(x):
    return tf.nest.map_structure(lambda t: tf.transpose(t, [1, 0, *range(2, t.shape.rank)]), x)


def _check_sequence_is_right_padded(mask, time_major):
    """An assert op that `mask` (B, T) (or (T, B)) has no True after a False."""
    mask = tf.convert_to_tensor(mask, tf.bool)
    if time_major:
        mask = tf.transpose(mask)
    lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
    right_padded = tf.sequence_mask(lengths, maxlen=tf.shape(mask)[1])
    return tf.debugging.assert_equal(
        right_padded, mask, message="The input sequence should be right padded."
    )


def categorical_sample(logits, dtype=tf.int32, sample_shape=(), seed=None):
    """Ids drawn from softmax(logits) (..., V) -> sample_shape + (...)."""
    logits = tf.convert_to_tensor(logits)
    sample_shape = tf.reshape(tf.convert_to_tensor(sample_shape, tf.int32), [-1])
    flat = tf.reshape(logits, [-1, tf.shape(logits)[-1]])
    draws = tf.random.categorical(flat, tf.reduce_prod(sample_shape), dtype=dtype, seed=seed)
    shape = tf.concat([sample_shape, tf.shape(logits)[:-1]], 0)
    return tf.reshape(tf.transpose(draws), shape)


def bernoulli_sample(probs=None, logits=None, dtype=tf.int32, sample_shape=(), seed=None):
    """Draws of 1 with probability `probs` (or sigmoid(logits))."""
    if (probs is None) == (logits is None):
        raise ValueError("Exactly one of probs and logits must be given")
    probs = tf.sigmoid(logits) if probs is None else tf.convert_to_tensor(probs)
    sample_shape = tf.reshape(tf.convert_to_tensor(sample_shape, tf.int32), [-1])
    shape = tf.concat([sample_shape, tf.shape(probs)], 0)
    return tf.cast(tf.random.uniform(shape, dtype=probs.dtype, seed=seed) < probs, dtype)


class Sampler(metaclass=abc.ABCMeta):
    """What a BasicDecoder asks at each step: `initialize(inputs, **kwargs)
    -> (finished, first_inputs)`, `sample(time, outputs, state) -> ids`,
    `next_inputs(time, outputs, state, sample_ids) -> (finished,
    next_inputs, next_state)`."""

    @abc.abstractmethod
    def initialize(self, inputs, **kwargs):
        pass

    @abc.abstractmethod
    def sample(self, time, outputs, state):
        pass

    @abc.abstractmethod
    def next_inputs(self, time, outputs, state, sample_ids):
        pass

    @property
    @abc.abstractmethod
    def batch_size(self):
        pass

    @property
    @abc.abstractmethod
    def sample_ids_shape(self):
        pass

    @property
    @abc.abstractmethod
    def sample_ids_dtype(self):
        pass


class _Batched(Sampler):
    """A sampler whose batch size is known once it is initialized; its
    sample ids are scalar int32s unless it says otherwise."""

    _batch_size = None

    @property
    def batch_size(self):
        if self._batch_size is None:
            raise ValueError("batch_size accessed before initialize was called")
        return self._batch_size

    @property
    def sample_ids_shape(self):
        return tf.TensorShape([])

    @property
    def sample_ids_dtype(self):
        return tf.int32


class CustomSampler(_Batched):
    """A sampler from three functions: initialize_fn(inputs, **kwargs) ->
    (finished, next_inputs); sample_fn(time, outputs, state) -> ids;
    next_inputs_fn(time, outputs, state, sample_ids) -> (finished,
    next_inputs, next_state)."""

    def __init__(
        self, initialize_fn, sample_fn, next_inputs_fn, sample_ids_shape=None, sample_ids_dtype=None
    ):
        self.initialize_fn, self.sample_fn, self.next_inputs_fn = (
            initialize_fn,
            sample_fn,
            next_inputs_fn,
        )
        self._sample_ids_shape = tf.TensorShape(sample_ids_shape or [])
        self._sample_ids_dtype = sample_ids_dtype or tf.int32

    @property
    def sample_ids_shape(self):
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self):
        return self._sample_ids_dtype

    def initialize(self, inputs, **kwargs):
        finished, next_inputs = self.initialize_fn(inputs, **kwargs)
        if self._batch_size is None:
            self._batch_size = tf.size(finished)
        return finished, next_inputs

    def sample(self, time, outputs, state):
        return self.sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(self, time, outputs, state, sample_ids):
        return self.next_inputs_fn(time=time, outputs=outputs, state=state, sample_ids=sample_ids)


class TrainingSampler(_Batched):
    """Teacher forcing: the next input is the next step of `inputs`; the
    sample id is the output's best id. A sequence ends at its length, given
    as `sequence_length` (B,) or a right-padded `mask` (B, T)."""

    def __init__(self, time_major=False):
        self.time_major = time_major

    def initialize(self, inputs, sequence_length=None, mask=None):
        if sequence_length is not None and mask is not None:
            raise ValueError("sequence_length and mask can't be provided at the same time.")
        inputs = tf.nest.map_structure(tf.convert_to_tensor, inputs)
        self.inputs = inputs if self.time_major else _time_major(inputs)
        first = tf.nest.flatten(self.inputs)[0]
        if mask is not None:
            with tf.control_dependencies([_check_sequence_is_right_padded(mask, self.time_major)]):
                axis = 0 if self.time_major else 1
                sequence_length = tf.reduce_sum(tf.cast(mask, tf.int32), axis=axis)
        if sequence_length is None:
            sequence_length = tf.fill([tf.shape(first)[1]], tf.shape(first)[0])
        self.sequence_length = tf.convert_to_tensor(sequence_length, tf.int32)
        if self.sequence_length.shape.rank != 1:
            raise ValueError(
                f"Expected sequence_length to be a vector, but received shape: "
                f"{self.sequence_length.shape}"
            )
        self.zero_inputs = tf.nest.map_structure(lambda t: tf.zeros_like(t[0]), self.inputs)
        self._batch_size = tf.size(self.sequence_length)
        return self._read(0)

    def _read(self, time):
        finished = time >= self.sequence_length
        steps = tf.shape(tf.nest.flatten(self.inputs)[0])[0]

        def read():
            # Past the inputs' end every sequence has finished: zeros, not an error.
            at = tf.minimum(time, steps - 1)
            return tf.nest.map_structure(lambda t: tf.gather(t, at), self.inputs)

        next_inputs = tf.cond(tf.reduce_all(finished), lambda: self.zero_inputs, read)
        return finished, next_inputs

    def sample(self, time, outputs, state):
        return decoding.best_ids(outputs)

    def next_inputs(self, time, outputs, state, sample_ids):
        finished, next_inputs = self._read(time + 1)
        return finished, next_inputs, state


class ScheduledEmbeddingTrainingSampler(TrainingSampler):
    """Scheduled sampling over ids: with `sampling_probability` a step's
    input is the embedding of an id drawn from the outputs instead of the
    next input; sample ids are -1 where it is not."""

    def __init__(
        self,
        sampling_probability,
        embedding_fn=None,
        time_major=False,
        seed=None,
        scheduling_seed=None,
    ):
        self.embedding_fn = self._given_embedding_fn = check_embedding_fn(embedding_fn)
        self.sampling_probability = _probability(sampling_probability)
        self.seed, self.scheduling_seed = seed, scheduling_seed
        super().__init__(time_major=time_major)

    def initialize(self, inputs, sequence_length=None, mask=None, embedding=None):
        if self._given_embedding_fn is None and embedding is None:
            raise ValueError(
                "embedding is required as a keyword argument for ScheduledEmbeddingTrainingSampler"
            )
        self.embedding_fn = embedder(self._given_embedding_fn, embedding)
        return super().initialize(inputs, sequence_length=sequence_length, mask=mask)

    def sample(self, time, outputs, state):
        chosen = bernoulli_sample(
            probs=self.sampling_probability,
            dtype=tf.bool,
            sample_shape=self.batch_size,
            seed=self.scheduling_seed,
        )
        drawn = categorical_sample(logits=outputs, seed=self.seed)
        return tf.where(chosen, drawn, tf.fill([self.batch_size], -1))

    def next_inputs(self, time, outputs, state, sample_ids):
        finished, base, state = super().next_inputs(time, outputs, state, sample_ids)
        sampling = sample_ids > -1

        def mixed():
            embedded = self.embedding_fn(tf.maximum(sample_ids, 0))
            return tf.where(sampling[:, None], tf.cast(embedded, base.dtype), base)

        next_inputs = tf.cond(tf.reduce_all(finished), lambda: base, mixed)
        return finished, next_inputs, state


class ScheduledOutputTrainingSampler(TrainingSampler):
    """Scheduled sampling over outputs: with `sampling_probability` a step's
    input is its own output (or next_inputs_fn(output)), with
    `auxiliary_inputs` concatenated as they are to the inputs; sample ids
    are 1 where it is."""

    def __init__(self, sampling_probability, time_major=False, seed=None, next_inputs_fn=None):
        self.sampling_probability = _probability(sampling_probability)
        self.seed, self.next_inputs_fn = seed, next_inputs_fn
        super().__init__(time_major=time_major)

    def initialize(self, inputs, sequence_length=None, mask=None, auxiliary_inputs=None):
        self.auxiliary = None
        if auxiliary_inputs is not None:
            auxiliary = tf.convert_to_tensor(auxiliary_inputs)
            inputs = tf.concat([tf.convert_to_tensor(inputs), auxiliary], -1)
            self.auxiliary = auxiliary if self.time_major else _time_major(auxiliary)
        return super().initialize(inputs, sequence_length=sequence_length, mask=mask)

    def sample(self, time, outputs, state):
        """1 where this step feeds the output back, 0 where it reads the input."""
        return bernoulli_sample(
            probs=self.sampling_probability, sample_shape=self.batch_size, seed=self.seed
        )

    def next_inputs(self, time, outputs, state, sample_ids):
        finished, base, state = super().next_inputs(time, outputs, state, sample_ids)
        sampling = tf.cast(sample_ids, tf.bool)

        def mixed():
            own = outputs if self.next_inputs_fn is None else self.next_inputs_fn(outputs)
            if self.auxiliary is not None:
                at = tf.minimum(time + 1, tf.shape(self.auxiliary)[0] - 1)
                own = tf.concat([own, tf.gather(self.auxiliary, at)], -1)
            return tf.where(sampling[:, None], tf.cast(own, base.dtype), base)

        skip = tf.logical_or(tf.reduce_all(finished), tf.logical_not(tf.reduce_any(sampling)))
        return finished, tf.cond(skip, lambda: base, mixed), state


class GreedyEmbeddingSampler(_Batched):
    """Inference: the next input is the embedding of the output's best id;
    a sequence ends at `end_token`."""

    def __init__(self, embedding_fn=None):
        self.embedding_fn = self._given_embedding_fn = check_embedding_fn(embedding_fn)

    def initialize(self, embedding, start_tokens=None, end_token=None):
        self.embedding_fn = embedder(self._given_embedding_fn, embedding)
        self.start_tokens = tf.convert_to_tensor(start_tokens, tf.int32, name="start_tokens")
        self.end_token = tf.convert_to_tensor(end_token, tf.int32, name="end_token")
        if self.start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        if self.end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._batch_size = tf.size(self.start_tokens)
        self.start_inputs = self.embedding_fn(self.start_tokens)
        return tf.zeros([self._batch_size], tf.bool), self.start_inputs

    def sample(self, time, outputs, state):
        if not tf.is_tensor(outputs):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")
        return decoding.best_ids(outputs)

    def next_inputs(self, time, outputs, state, sample_ids):
        finished = tf.equal(sample_ids, self.end_token)
        next_inputs = tf.cond(
            tf.reduce_all(finished),
            lambda: self.start_inputs,
            lambda: self.embedding_fn(sample_ids),
        )
        return finished, next_inputs, state


class SampleEmbeddingSampler(GreedyEmbeddingSampler):
    """Inference by sampling: ids drawn from softmax(outputs / temperature)."""

    def __init__(self, embedding_fn=None, softmax_temperature=None, seed=None):
        super().__init__(embedding_fn)
        if softmax_temperature is not None and float(softmax_temperature) <= 0:
            raise ValueError(f"softmax_temperature must be > 0, got {softmax_temperature}")
        self.softmax_temperature, self.seed = softmax_temperature, seed

    def sample(self, time, outputs, state):
        if not tf.is_tensor(outputs):
            raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")
        logits = outputs
        if self.softmax_temperature is not None:
            logits = logits / tf.cast(self.softmax_temperature, logits.dtype)
        return categorical_sample(logits=logits, seed=self.seed)


class InferenceSampler(_Batched):
    """Inference without embeddings: sample_fn(outputs) -> ids,
    end_fn(ids) -> finished, next_inputs_fn(ids) -> inputs (the ids
    themselves by default)."""

    def __init__(self, sample_fn, sample_shape, sample_dtype, end_fn, next_inputs_fn=None):
        self.sample_fn, self.end_fn, self.next_inputs_fn = sample_fn, end_fn, next_inputs_fn
        self._sample_ids_shape = tf.TensorShape(sample_shape)
        self._sample_ids_dtype = tf.as_dtype(sample_dtype)

    @property
    def sample_ids_shape(self):
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self):
        return self._sample_ids_dtype

    def initialize(self, start_inputs):
        self.start_inputs = tf.convert_to_tensor(start_inputs, name="start_inputs")
        self._batch_size = tf.shape(self.start_inputs)[0]
        return tf.zeros([self._batch_size], tf.bool), self.start_inputs

    def sample(self, time, outputs, state):
        return self.sample_fn(outputs)

    def next_inputs(self, time, outputs, state, sample_ids):
        next_inputs = sample_ids if self.next_inputs_fn is None else self.next_inputs_fn(sample_ids)
        return self.end_fn(sample_ids), next_inputs, state


def check_embedding_fn(embedding_fn):
    if embedding_fn is not None and not callable(embedding_fn):
        raise ValueError(f"embedding_fn is expected to be a callable, got {type(embedding_fn)}")
    return embedding_fn


def embedder(embedding_fn, embedding):
    """The ids -> inputs function for one decode: the one given at
    construction, else a lookup in this call's embedding matrix (chosen
    afresh each time, so a second decode with another matrix uses it)."""
    if embedding_fn is not None:
        return embedding_fn
    return lambda ids: tf.nn.embedding_lookup(embedding, ids)


def _probability(value):
    probability = tf.convert_to_tensor(value, name="sampling_probability")
    if probability.shape.rank not in (0, 1):
        raise ValueError(
            "sampling_probability must be either a scalar or a vector. "
            f"saw shape: {probability.shape}"
        )
    return probability
