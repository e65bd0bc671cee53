"""`tfa.seq2seq.attention_wrapper`: TF Addons' attention mechanisms and
AttentionWrapper, over zoo.layers.attention's scores, masking, monotonic
attention and context (the maths is there, once).

A mechanism holds its memory: `setup_memory(memory, memory_sequence_length
| memory_mask)` (or `memory=` at construction) zeroes padded rows and
projects the keys once; then `mechanism([query, state])` -> (alignments,
next_state). AttentionWrapper wraps any Keras cell: each step feeds the
cell [inputs, previous attention], attends with the cell's output, and
emits the attention (an `attention_layer` over [output, context], or the
context itself)."""

import collections
import functools

import keras
import numpy as np
import tensorflow as tf

from zoo.layers import attention as zoo_attention

hardmax = zoo_attention.hardmax
monotonic_attention = zoo_attention.monotonic_attention


def safe_cumprod(x, *args, **kwargs):
    """cumprod in log space (tf.math.cumprod's arguments: axis, exclusive)."""
    x = tf.convert_to_tensor(x)
    axis = kwargs.pop("axis", args[0] if args else 0)
    exclusive = kwargs.pop("exclusive", args[1] if len(args) > 1 else False)
    return zoo_attention.safe_cumprod(x, axis=axis, exclusive=exclusive)


_PROBABILITIES = {"softmax": tf.nn.softmax, "hardmax": hardmax}


def _probability_fn(name):
    if name not in _PROBABILITIES:
        raise ValueError(f"probability_fn must be one of {sorted(_PROBABILITIES)}, got {name!r}")
    return _PROBABILITIES[name]


class AttentionMechanism:
    """The interface AttentionWrapper reads: `alignments_size`, `state_size`."""

    @property
    def alignments_size(self):
        raise NotImplementedError

    @property
    def state_size(self):
        raise NotImplementedError


class _BaseAttentionMechanism(AttentionMechanism, keras.layers.Layer):
    """Memory handling shared by the four mechanisms."""

    def __init__(
        self,
        memory,
        probability_fn,
        query_layer=None,
        memory_layer=None,
        memory_sequence_length=None,
        **kwargs,
    ):
        for name, layer in (("query_layer", query_layer), ("memory_layer", memory_layer)):
            if layer is not None and not isinstance(layer, keras.layers.Layer):
                raise TypeError(f"{name} is not a Layer: {type(layer).__name__}")
        if memory_layer is not None and "dtype" not in kwargs:
            kwargs["dtype"] = memory_layer.dtype_policy
        super().__init__(**kwargs)
        if not callable(probability_fn):
            raise TypeError(
                f"probability_fn must be callable, saw type: {type(probability_fn).__name__}"
            )
        self.query_layer, self.memory_layer = query_layer, memory_layer
        self.probability_fn = probability_fn
        self.keys = self.values = self.batch_size = None
        self._memory_mask = None
        self._memory_initialized = False
        self.supports_masking = True
        # The score's own weights have known shapes: made now, since Keras 3
        # locks a layer's state after its first build (the memory's).
        self._build_scores()
        if memory is not None:
            self.setup_memory(memory, memory_sequence_length=memory_sequence_length)

    @property
    def memory_initialized(self):
        return self._memory_initialized

    def setup_memory(self, memory, memory_sequence_length=None, memory_mask=None):
        """Zero the memory past each sequence's end and project its keys;
        may be called again with a new memory (weights are kept)."""
        if memory_sequence_length is not None and memory_mask is not None:
            raise ValueError(
                "memory_sequence_length and memory_mask cannot be used at same time for attention."
            )
        memory = tf.convert_to_tensor(memory, dtype=self.compute_dtype)
        if memory.shape.rank != 3:
            raise ValueError(f"memory must be (batch, time, depth), got shape {memory.shape}")
        steps = tf.shape(memory)[1]
        if memory_sequence_length is not None:
            lengths = tf.convert_to_tensor(memory_sequence_length)
            if lengths.shape.rank != 1:
                raise ValueError(
                    f"memory_sequence_length must be a vector (batch,), got shape {lengths.shape}"
                )
            tf.debugging.assert_equal(
                tf.shape(lengths)[0],
                tf.shape(memory)[0],
                message="memory_sequence_length and memory have different batch sizes",
            )
            memory_mask = tf.sequence_mask(lengths, steps)
        if memory_mask is not None:
            memory_mask = tf.cast(memory_mask, tf.bool)
            memory = memory * tf.cast(memory_mask, memory.dtype)[..., None]
        self._memory_mask = memory_mask
        self.values = memory
        if self.memory_layer is not None:
            self.keys = self.memory_layer(memory)
        else:
            self.keys = memory
        self.batch_size = memory.shape[0] or tf.shape(memory)[0]
        self._alignments_size = memory.shape[1] or steps
        self._memory_initialized = True

    def __call__(self, inputs, mask=None, setup_memory=False, **kwargs):
        if setup_memory:
            if isinstance(inputs, list | tuple):
                memory, lengths = inputs[0], inputs[1] if len(inputs) > 1 else None
            else:
                memory, lengths = inputs, None
            self.setup_memory(memory, memory_sequence_length=lengths, memory_mask=mask)
            return self.values
        if not self._memory_initialized:
            raise ValueError("Cannot query the attention before the setup of memory")
        if len(inputs) not in (2, 3):
            raise ValueError(
                f"Expect the inputs to have query, state, and optional processed memory, "
                f"got {len(inputs)} items"
            )
        query, state = inputs[0], inputs[1]
        return self._calculate_attention(tf.convert_to_tensor(query), state)

    def build(self, input_shape):
        """build(memory.shape) builds the memory layer, build([query.shape,
        state.shape]) the query layer; the score's weights exist already."""
        if not isinstance(input_shape, list):
            if self.memory_layer is not None and not self.memory_layer.built:
                self.memory_layer.build(input_shape)
            return
        query_shape = input_shape[0]
        if self.query_layer is not None and not self.query_layer.built and query_shape is not None:
            self.query_layer.build(query_shape)

    def _build_scores(self):
        pass

    def _weight(self, name):
        """A weight in the memory's dtype (float16 under mixed precision)."""
        return tf.cast(getattr(self, name), self.keys.dtype)

    def _probabilities(self, scores, state):
        return self.probability_fn(zoo_attention.mask_scores(scores, self._memory_mask), state)

    @property
    def alignments_size(self):
        return self._alignments_size

    @property
    def state_size(self):
        return self._alignments_size

    def initial_alignments(self, batch_size, dtype):
        return tf.zeros([batch_size, self._alignments_size], dtype=dtype)

    def initial_state(self, batch_size, dtype):
        return self.initial_alignments(batch_size, dtype)

    def compute_mask(self, inputs, mask=None):
        return None, None

    def base_config(self):
        layers = {
            name: _layer_config(layer)
            for name, layer in (
                ("query_layer", self.query_layer),
                ("memory_layer", self.memory_layer),
            )
        }
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype_policy.name,
            **layers,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in ("query_layer", "memory_layer"):
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name], custom_objects)
        return cls(**config)


def _layer_config(layer):
    """A sublayer's config without its build config, so that from_config
    gives an unbuilt layer that builds when the memory (or query) arrives,
    as TFA's (Keras 2) configs did."""
    if layer is None:
        return None
    config = keras.saving.serialize_keras_object(layer)
    config.pop("build_config", None)
    return config


def _layers(units, probability_fn, dtype, kwargs, query):
    """A mechanism's keyword arguments: the given (or new Dense) query and
    memory layers, the probability function, dtype and the rest of kwargs.
    Luong's has no query layer: it scores the query as it is."""
    chosen = _probability_fn(probability_fn)
    query_layer = kwargs.pop("query_layer", None)
    memory_layer = kwargs.pop("memory_layer", None) or _dense(units, "memory_layer", dtype)
    if query:
        query_layer = query_layer or _dense(units, "query_layer", dtype)
    return {
        "query_layer": query_layer if query else None,
        "memory_layer": memory_layer,
        "probability_fn": lambda score, _: chosen(score),
        "dtype": dtype,
        **kwargs,
    }


def _dense(units, name, dtype):
    return keras.layers.Dense(units, name=name, use_bias=False, dtype=dtype)


class LuongAttention(_BaseAttentionMechanism):
    """Multiplicative attention (Luong et al. 2015): score_j = s^T (W h_j),
    times a learned scalar with `scale`."""

    def __init__(
        self,
        units,
        memory=None,
        memory_sequence_length=None,
        scale=False,
        probability_fn="softmax",
        dtype=None,
        name="LuongAttention",
        **kwargs,
    ):
        self.units, self.scale, self.probability_fn_name = units, scale, probability_fn
        layers = _layers(units, probability_fn, dtype, kwargs, query=False)
        super().__init__(memory, memory_sequence_length=memory_sequence_length, name=name, **layers)

    def _build_scores(self):
        if self.scale and not hasattr(self, "attention_g"):
            self.attention_g = self.add_weight(name="attention_g", shape=(), initializer="ones")

    def _score(self, query):
        if query.shape[-1] is not None and self.keys.shape[-1] is not None:
            if query.shape[-1] != self.keys.shape[-1]:
                raise ValueError(
                    "Incompatible or unknown inner dimensions between query and keys. "
                    f"Query ({query.shape}) has units: {query.shape[-1]}. "
                    f"Keys ({self.keys.shape}) have units: {self.keys.shape[-1]}. "
                    "Perhaps you need to set num_units to the keys' dimension "
                    f"({self.keys.shape[-1]})?"
                )
        scale = self._weight("attention_g") if self.scale else None
        return zoo_attention.luong_score(query, self.keys, scale)

    def _calculate_attention(self, query, state):
        alignments = self._probabilities(self._score(query), state)
        return alignments, alignments

    def get_config(self):
        own = {"units": self.units, "scale": self.scale, "probability_fn": self.probability_fn_name}
        return {**self.base_config(), **own}


class BahdanauAttention(_BaseAttentionMechanism):
    """Additive attention (Bahdanau et al. 2015): score_j = v^T tanh(W s +
    U h_j), weight-normalised with `normalize` (Salimans & Kingma 2016)."""

    def __init__(
        self,
        units,
        memory=None,
        memory_sequence_length=None,
        normalize=False,
        probability_fn="softmax",
        kernel_initializer="glorot_uniform",
        dtype=None,
        name="BahdanauAttention",
        **kwargs,
    ):
        self.units, self.normalize, self.probability_fn_name = units, normalize, probability_fn
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        layers = _layers(units, probability_fn, dtype, kwargs, query=True)
        super().__init__(memory, memory_sequence_length=memory_sequence_length, name=name, **layers)

    def _build_scores(self):
        if not hasattr(self, "attention_v"):
            self.attention_v = self.add_weight(
                name="attention_v", shape=(self.units,), initializer=self.kernel_initializer
            )
        if self.normalize and not hasattr(self, "attention_g"):
            self.attention_g = self.add_weight(
                name="attention_g",
                shape=(),
                initializer=keras.initializers.Constant(np.sqrt(1.0 / self.units)),
            )
            self.attention_b = self.add_weight(
                name="attention_b", shape=(self.units,), initializer="zeros"
            )

    def _score(self, query):
        projected = self.query_layer(query) if self.query_layer is not None else query
        g, b = (
            (self._weight("attention_g"), self._weight("attention_b"))
            if self.normalize
            else (None, None)
        )
        return zoo_attention.bahdanau_score(projected, self.keys, self._weight("attention_v"), g, b)

    def _calculate_attention(self, query, state):
        alignments = self._probabilities(self._score(query), state)
        return alignments, alignments

    def get_config(self):
        own = {
            "units": self.units,
            "normalize": self.normalize,
            "probability_fn": self.probability_fn_name,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**self.base_config(), **own}


class _Monotonic:
    """Monotonic mechanisms: p_choose = sigmoid(score + bias (+ noise)), then
    zoo's monotonic_attention from the previous alignments."""

    def _init_monotonic(self, sigmoid_noise, sigmoid_noise_seed, score_bias_init, mode):
        if mode not in zoo_attention.MONOTONIC_MODES:
            raise ValueError(f"mode must be 'recursive', 'parallel', or 'hard', got {mode!r}")
        self.sigmoid_noise, self.sigmoid_noise_seed = sigmoid_noise, sigmoid_noise_seed
        self.score_bias_init, self.mode = score_bias_init, mode
        return functools.partial(
            _monotonic_probability_fn,
            sigmoid_noise=sigmoid_noise,
            mode=mode,
            seed=sigmoid_noise_seed,
        )

    def _use_monotonic(self, probability_fn, memory, memory_sequence_length):
        """After the attention class's construction: its probability function
        replaced, then the memory set up."""
        self.probability_fn, self.probability_fn_name = probability_fn, None
        if memory is not None:
            self.setup_memory(memory, memory_sequence_length=memory_sequence_length)

    def _build_scores(self):
        super()._build_scores()
        self._build_bias()

    def get_config(self):
        config = {**super().get_config(), **self.monotonic_config()}
        del config["probability_fn"]
        return config

    def _build_bias(self):
        if not hasattr(self, "attention_score_bias"):
            self.attention_score_bias = self.add_weight(
                name="attention_score_bias",
                shape=(),
                initializer=keras.initializers.Constant(self.score_bias_init),
            )

    def _calculate_attention(self, query, state):
        scores = self._score(query) + self._weight("attention_score_bias")
        alignments = self._probabilities(scores, state)
        return alignments, alignments

    def initial_alignments(self, batch_size, dtype):
        return zoo_attention.initial_monotonic_weights(batch_size, self._alignments_size, dtype)

    def monotonic_config(self):
        return {
            "sigmoid_noise": self.sigmoid_noise,
            "sigmoid_noise_seed": self.sigmoid_noise_seed,
            "score_bias_init": self.score_bias_init,
            "mode": self.mode,
        }


def _monotonic_probability_fn(score, previous_alignments, sigmoid_noise, mode, seed=None):
    if sigmoid_noise > 0:
        score += sigmoid_noise * tf.random.normal(tf.shape(score), dtype=score.dtype, seed=seed)
    p_choose = tf.cast(score > 0, score.dtype) if mode == "hard" else tf.sigmoid(score)
    return monotonic_attention(p_choose, previous_alignments, mode)


class BahdanauMonotonicAttention(_Monotonic, BahdanauAttention):
    """Bahdanau scores with monotonic alignments (Raffel et al. 2017)."""

    def __init__(
        self,
        units,
        memory=None,
        memory_sequence_length=None,
        normalize=False,
        sigmoid_noise=0.0,
        sigmoid_noise_seed=None,
        score_bias_init=0.0,
        mode="parallel",
        kernel_initializer="glorot_uniform",
        dtype=None,
        name="BahdanauMonotonicAttention",
        **kwargs,
    ):
        fn = self._init_monotonic(sigmoid_noise, sigmoid_noise_seed, score_bias_init, mode)
        super().__init__(
            units,
            memory=None,
            normalize=normalize,
            kernel_initializer=kernel_initializer,
            dtype=dtype,
            name=name,
            **kwargs,
        )
        self._use_monotonic(fn, memory, memory_sequence_length)


class LuongMonotonicAttention(_Monotonic, LuongAttention):
    """Luong scores with monotonic alignments (Raffel et al. 2017)."""

    def __init__(
        self,
        units,
        memory=None,
        memory_sequence_length=None,
        scale=False,
        sigmoid_noise=0.0,
        sigmoid_noise_seed=None,
        score_bias_init=0.0,
        mode="parallel",
        dtype=None,
        name="LuongMonotonicAttention",
        **kwargs,
    ):
        fn = self._init_monotonic(sigmoid_noise, sigmoid_noise_seed, score_bias_init, mode)
        super().__init__(units, memory=None, scale=scale, dtype=dtype, name=name, **kwargs)
        self._use_monotonic(fn, memory, memory_sequence_length)


class AttentionWrapperState(
    collections.namedtuple(
        "AttentionWrapperState",
        ("cell_state", "attention", "alignments", "alignment_history", "attention_state"),
    )
):
    """The wrapper's state: the cell's, the last attention, alignments
    and attention state per mechanism, and (optionally) every step's
    alignments in a TensorArray."""

    def clone(self, **kwargs):
        """A copy with fields replaced; tensors keep this state's static shapes."""

        def with_shape(old, new):
            if isinstance(old, tf.Tensor) and isinstance(new, tf.Tensor):
                if not tf.executing_eagerly():
                    new = tf.ensure_shape(new, old.shape)
            return new

        return tf.nest.map_structure(with_shape, self, super()._replace(**kwargs))


def is_rnn_cell(cell):
    """Callable with state_size and output_size (looked up without being
    evaluated: an AttentionWrapper's need its memory)."""
    return callable(cell) and {"state_size", "output_size"} <= set(dir(cell))


def _compute_attention(attention_mechanism, cell_output, attention_state, attention_layer):
    alignments, next_attention_state = attention_mechanism([cell_output, attention_state])
    context = zoo_attention.attend(alignments, attention_mechanism.values)
    if attention_layer is not None:
        attention = attention_layer(tf.concat([cell_output, context], 1))
    else:
        attention = context
    return attention, alignments, next_attention_state


class AttentionWrapper(keras.layers.Layer):
    """Wraps a Keras RNN cell with one or more attention mechanisms."""

    def __init__(
        self,
        cell,
        attention_mechanism,
        attention_layer_size=None,
        alignment_history=False,
        cell_input_fn=None,
        output_attention=True,
        initial_cell_state=None,
        name=None,
        attention_layer=None,
        attention_fn=None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if not is_rnn_cell(cell):
            raise TypeError(
                f"cell must be an RNN cell (state_size, output_size, call), got {type(cell)}"
            )
        self._is_multi = isinstance(attention_mechanism, list | tuple)
        mechanisms = list(attention_mechanism) if self._is_multi else [attention_mechanism]
        for mechanism in mechanisms:
            if not isinstance(mechanism, AttentionMechanism):
                raise TypeError(
                    f"attention_mechanism must be an AttentionMechanism or a list of them, "
                    f"saw type: {type(mechanism).__name__}"
                )
        if attention_layer_size is not None and attention_layer is not None:
            raise ValueError("Only one of attention_layer_size and attention_layer should be set")
        self._attention_layers = None
        if attention_layer_size is not None:
            sizes = tuple(
                attention_layer_size
                if isinstance(attention_layer_size, list | tuple)
                else (attention_layer_size,)
            )
            if len(sizes) != len(mechanisms):
                raise ValueError(
                    "If provided, attention_layer_size must contain exactly one integer per "
                    f"attention_mechanism, saw: {len(sizes)} vs {len(mechanisms)}"
                )
            dtype = kwargs.get("dtype")
            self._attention_layers = [_dense(size, "attention_layer", dtype) for size in sizes]
        elif attention_layer is not None:
            layers = list(
                attention_layer if isinstance(attention_layer, list | tuple) else (attention_layer,)
            )
            if len(layers) != len(mechanisms):
                raise ValueError(
                    "If provided, attention_layer must contain exactly one layer per "
                    f"attention_mechanism, saw: {len(layers)} vs {len(mechanisms)}"
                )
            self._attention_layers = layers
        self._cell = cell
        self._attention_mechanisms = mechanisms
        self._cell_input_fn = cell_input_fn or (
            lambda inputs, attention: tf.concat([inputs, attention], -1)
        )
        self._attention_fn = attention_fn or _compute_attention
        self._output_attention = output_attention
        self._alignment_history = alignment_history
        self._attention_layer_size = None
        self._initial_cell_state = initial_cell_state

    def _check_mechanisms(self):
        for mechanism in self._attention_mechanisms:
            if not mechanism.memory_initialized:
                raise ValueError(
                    "The AttentionMechanism instances passed to this AttentionWrapper should be "
                    "initialized with a memory first, either by passing it to the "
                    "AttentionMechanism constructor or calling attention_mechanism.setup_memory()"
                )

    def _batch_size_checks(self, batch_size, message):
        self._check_mechanisms()
        return [
            tf.debugging.assert_equal(batch_size, mechanism.batch_size, message=message)
            for mechanism in self._attention_mechanisms
        ]

    def _item_or_tuple(self, seq):
        items = tuple(seq)
        return items if self._is_multi else items[0]

    def _get_attention_layer_size(self):
        if self._attention_layer_size is None:
            self._check_mechanisms()
            depths = [m.values.shape[-1] for m in self._attention_mechanisms]
            if self._attention_layers is None:
                self._attention_layer_size = sum(depths)
            else:
                cell_size = tf.TensorShape(self._cell.output_size)[-1]
                self._attention_layer_size = sum(
                    layer.compute_output_shape((None, cell_size + depth))[-1]
                    for layer, depth in zip(self._attention_layers, depths, strict=True)
                )
        return self._attention_layer_size

    @property
    def output_size(self):
        return (
            self._get_attention_layer_size() if self._output_attention else self._cell.output_size
        )

    @property
    def state_size(self):
        return AttentionWrapperState(
            cell_state=self._cell.state_size,
            attention=self._get_attention_layer_size(),
            alignments=self._item_or_tuple(m.alignments_size for m in self._attention_mechanisms),
            attention_state=self._item_or_tuple(m.state_size for m in self._attention_mechanisms),
            alignment_history=self._item_or_tuple(
                m.alignments_size if self._alignment_history else ()
                for m in self._attention_mechanisms
            ),
        )

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs)
            batch_size, dtype = tf.shape(inputs)[0], inputs.dtype
        dtype = tf.as_dtype(dtype or self.compute_dtype)
        message = (
            "When calling get_initial_state of AttentionWrapper: the batch_size argument does "
            "not match the attention mechanisms' memory batch size. Are you using a "
            "BeamSearchDecoder? If so, tile the memory with tfa.seq2seq.tile_batch (with "
            "the beam width) before setting it up, and give the initial state a batch of "
            "batch_size * beam_width."
        )
        checks = self._batch_size_checks(batch_size, message)
        if self._initial_cell_state is not None:
            cell_state = self._initial_cell_state
        else:
            cell_state = _cell_initial_state(self._cell, batch_size, dtype)
        with tf.control_dependencies(checks):
            cell_state = tf.nest.map_structure(tf.identity, cell_state)
        alignments = [m.initial_alignments(batch_size, dtype) for m in self._attention_mechanisms]
        return AttentionWrapperState(
            cell_state=cell_state,
            attention=tf.zeros([batch_size, self._get_attention_layer_size()], dtype=dtype),
            alignments=self._item_or_tuple(alignments),
            attention_state=self._item_or_tuple(
                m.initial_state(batch_size, dtype) for m in self._attention_mechanisms
            ),
            alignment_history=self._item_or_tuple(
                tf.TensorArray(dtype, size=0, dynamic_size=True, element_shape=a.shape)
                if self._alignment_history
                else ()
                for a in alignments
            ),
        )

    def build(self, input_shape):
        self.built = True  # the cell, mechanisms and attention layers build on first use

    def __call__(self, inputs, state, training=None, **kwargs):
        """Straight to call: the state may hold TensorArrays (alignment
        history), which Keras 3's Layer.__call__ refuses as arguments."""
        self.built = True
        inputs = tf.nest.map_structure(self._autocast, inputs)
        return self.call(inputs, state, training=training)

    def _autocast(self, x):
        """What Keras' __call__ would do: floating inputs to the compute dtype
        (float16 under mixed precision)."""
        x = tf.convert_to_tensor(x)
        return tf.cast(x, self.compute_dtype) if x.dtype.is_floating else x

    def call(self, inputs, state, training=None):
        if not isinstance(state, AttentionWrapperState):
            try:
                state = AttentionWrapperState(*state)
            except TypeError as err:
                raise TypeError(
                    "Expected state to be instance of AttentionWrapperState or values that can "
                    f"construct AttentionWrapperState. Received type {type(state)} instead."
                ) from err
        cell_inputs = self._cell_input_fn(inputs, state.attention)
        cell_output, next_cell_state = self._cell(cell_inputs, state.cell_state, training=training)
        next_cell_state = tf.nest.pack_sequence_as(
            state.cell_state, tf.nest.flatten(next_cell_state)
        )
        message = (
            "When applying AttentionWrapper: the batch size of the cell's output does not match "
            "the attention mechanisms' memory batch size. Are you using a BeamSearchDecoder? "
            "If so, tile the memory with tfa.seq2seq.tile_batch (with the beam width) before "
            "setting it up."
        )
        with tf.control_dependencies(self._batch_size_checks(tf.shape(cell_output)[0], message)):
            cell_output = tf.identity(cell_output)
        states = state.attention_state if self._is_multi else [state.attention_state]
        histories = state.alignment_history if self._is_multi else [state.alignment_history]
        attentions, alignments, attention_states, new_histories = [], [], [], []
        for i, mechanism in enumerate(self._attention_mechanisms):
            layer = self._attention_layers[i] if self._attention_layers else None
            attention, alignment, next_state = self._attention_fn(
                mechanism, cell_output, states[i], layer
            )
            history = (
                histories[i].write(histories[i].size(), alignment)
                if self._alignment_history
                else ()
            )
            attentions.append(attention)
            alignments.append(alignment)
            attention_states.append(next_state)
            new_histories.append(history)
        attention = tf.concat(attentions, 1)
        next_state = AttentionWrapperState(
            cell_state=next_cell_state,
            attention=attention,
            alignments=self._item_or_tuple(alignments),
            attention_state=self._item_or_tuple(attention_states),
            alignment_history=self._item_or_tuple(new_histories),
        )
        return (attention if self._output_attention else cell_output), next_state


def _cell_initial_state(cell, batch_size, dtype):
    """A cell's zero state, whether it takes Keras 2's dtype argument or not."""
    try:
        return cell.get_initial_state(batch_size=batch_size, dtype=dtype)
    except TypeError:  # a Keras 3 cell: batch_size only, its own dtype
        state = cell.get_initial_state(batch_size=batch_size)
        return tf.nest.map_structure(lambda s: tf.cast(s, dtype), state)


__all__ = [
    "AttentionMechanism",
    "AttentionWrapper",
    "AttentionWrapperState",
    "BahdanauAttention",
    "BahdanauMonotonicAttention",
    "LuongAttention",
    "LuongMonotonicAttention",
    "hardmax",
    "monotonic_attention",
    "safe_cumprod",
]
