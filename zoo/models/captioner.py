"""Image captioning, the one-to-many RNN: Show, Attend and Tell (Xu et al.
2015), soft attention, over VGG19 conv5_4 regions (zoo.models.regions).

Regions a_1..a_196 are layer-normalised and projected (the encoder's last
layer). The decoder (any zoo cell) starts from tanh(W mean_i a_i); at each
step its state h_{t-1} queries Bahdanau attention over the regions, the
context is scaled by the gate beta = sigmoid(w h_{t-1}), and the cell reads
[E y_{t-1}; beta z_t]. The deep output layer gives
logits = L_o dropout(tanh(E y_{t-1} + L_h h_t + L_z z_t)).
Training adds the doubly stochastic penalty lambda sum_i (1 - sum_t
alpha_ti)^2 and can feed the model's own words (scheduled sampling).
attention="none" is Show and Tell's baseline (Vinyals et al. 2015): the
image only sets the initial state.

Words follow zoo.words' tokenisation; a caption is its tokens joined by
single spaces. Decoding is zoo.decoding's, shared with Seq2Seq. VGG19's
weights are not part of the model: they are resolved on first use, as for
style transfer, so a package loads offline.
"""

import collections

import keras
import numpy as np
from keras import ops

from zoo import layers, words
from zoo.decoding import Search
from zoo.images import as_rgb, read_image
from zoo.models import regions
from zoo.models.encoder_decoder import Encoded, EncoderDecoder
from zoo.models.raw_inputs import RawInputs, as_strs
from zoo_runtime.chars import END, START
from zoo_runtime.checks import check_beam_width
from zoo_runtime.search import chosen_decoding

ATTENTION = ("soft", "none")
SPECIALS = (words.PAD, words.OOV, START, END)


def caption_vocabulary(captions, min_count=5):
    """PAD, OOV, START, END, then every word seen `min_count` times."""
    counts = collections.Counter(t for c in captions for t in words.tokenize(c))
    ranked = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return [*SPECIALS, *ranked]


class _Held:
    """Holds the image encoder outside Keras' tracking, so VGG19's weights
    are never saved with the decoder's."""

    def __init__(self):
        self.encoder = self.key = None


@keras.saving.register_keras_serializable(package="zoo")
class Captioner(RawInputs, EncoderDecoder):
    """Image captioning with soft attention over VGG19's conv5_4 regions
    (Show, Attend and Tell), or without it (Show and Tell).

    Args:
        vocabulary: SPECIALS (PAD, OOV, START, END), then the words
            (`caption_vocabulary`).
        cell: a zoo cell name (`zoo.layers.CELLS`).
        units: the decoder's units.
        embedding_dim: width of the word embedding and the deep output.
        attention: "soft" or "none".
        attention_units: width of the additive attention.
        memory_dim: width the regions are projected to.
        dropout: dropout before the readout.
        attention_penalty: lambda of the doubly stochastic regulariser.
        max_length: the most words written.
        cell_options: passed to the cell.
        vgg_weights: VGG19's notop weights (see zoo.models.vgg.vgg19),
            needed only to caption pixels; they load on first use.
        seed: seeds dropout and scheduled sampling's draws.
        **kwargs: `keras.Model` arguments.

    Example:

    >>> import numpy as np
    >>> vocabulary = [*SPECIALS, "a", "dog"]
    >>> model = Captioner(vocabulary, units=8, embedding_dim=4, attention_units=4, memory_dim=8)
    >>> model.build()
    >>> regions_ = np.zeros((1, 196, 512), np.float32)  # VGG19 conv5_4 of one photo
    >>> len(model.caption_features(regions_, beam_width=2))
    1
    """

    task = "caption"  # the card's task: picks each stage's module for this family
    ASSETS = ("vocabulary",)  # saved beside config.json, not in it (zoo.registry)
    # caption()'s defaults, and every export's (zoo.json "decoding_defaults"):
    # chosen by CIDEr-D on the Flickr8k validation images
    # (python -m benchmarks.caption_decoding; docs/caption.md).
    DECODING = {"no_repeat_ngram_size": 2, "length_penalty": 1.0}

    def __init__(
        self,
        vocabulary: list[str],
        cell: str = "lstm",
        units: int = 512,
        embedding_dim: int = 256,
        attention: str = "soft",
        attention_units: int = 256,
        memory_dim: int = 512,
        dropout: float = 0.5,
        attention_penalty: float = 1.0,
        max_length: int = 20,
        cell_options: dict | None = None,
        vgg_weights: str | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if attention not in ATTENTION:
            raise ValueError(f"`attention` must be one of {ATTENTION}, got {attention!r}")
        if list(vocabulary[:4]) != list(SPECIALS):
            raise ValueError("a caption vocabulary starts with PAD, OOV, START and END")
        self.words = words.WordVocabulary(vocabulary)
        self.pad, self.oov, self.start, self.end = 0, 1, 2, 3
        self.cell_name, self.units, self.embedding_dim = cell, units, embedding_dim
        self.attention_kind, self.attention_units = attention, attention_units
        self.memory_dim, self.dropout_rate = memory_dim, dropout
        self.attention_penalty, self.max_length = attention_penalty, max_length
        self.cell_options, self.vgg_weights, self.seed = dict(cell_options or {}), vgg_weights, seed

        self.feature_norm = keras.layers.LayerNormalization(name="feature_norm")
        self.project = keras.layers.Dense(memory_dim, name="project")
        self.embedding = keras.layers.Embedding(len(vocabulary), embedding_dim, name="embedding")
        self.cell = layers.make_cell(cell, units, self.cell_options)
        self.bridge = [
            keras.layers.Dense(size, activation="tanh", name=f"bridge_{i}")
            for i, size in enumerate(self.cell.state_size)
        ]
        soft = attention == "soft"
        self.attention = (
            layers.BahdanauAttention(attention_units, name="attention") if soft else None
        )
        self.gate = keras.layers.Dense(1, activation="sigmoid", name="gate") if soft else None
        self.out_state = keras.layers.Dense(embedding_dim, name="out_state")
        self.out_context = keras.layers.Dense(embedding_dim, name="out_context") if soft else None
        self.dropout = keras.layers.Dropout(dropout, seed=seed)
        self.readout = keras.layers.Dense(len(vocabulary), dtype="float32", name="readout")
        banned = (self.pad, self.oov, self.start)
        self.search = Search(self.step, len(vocabulary), banned, self.start, self.end, self.pad)
        self.init_decoding(seed)
        self._held = _Held()

    # ---- structure -------------------------------------------------------
    def build(self, input_shape=None):
        self.feature_norm.build((None, regions.REGIONS, regions.DEPTH))
        self.project.build((None, regions.REGIONS, regions.DEPTH))
        self.embedding.build((None,))
        context = self.memory_dim if self.attention is not None else 0
        self.cell.build((None, self.embedding_dim + context))
        for dense in self.bridge:
            dense.build((None, self.memory_dim))
        if self.attention is not None:
            self.attention.build((None, self.units), (None, regions.REGIONS, self.memory_dim))
            self.gate.build((None, self.units))
            self.out_context.build((None, self.memory_dim))
        self.out_state.build((None, self.units))
        self.readout.build((None, self.embedding_dim))
        self.built = True

    @property
    def output_length(self):
        return self.max_length

    def encode(self, features, training=False):
        """Regions (B, 196, 512) -> (Encoded: memory (B, 196, m), keys; the
        decoder's first states)."""
        memory = self.project(self.feature_norm(ops.cast(features, self.compute_dtype)))
        states = [dense(ops.mean(memory, axis=1)) for dense in self.bridge]
        keys = self.attention.keys(memory) if self.attention is not None else None
        return Encoded(memory, keys), states

    def step(self, token_ids, states, context, training=False):
        """One decoder step -> (logits (B, V), new states, weights (B, 196))."""
        memory, keys = context.memory, context.keys
        embedded = self.embedding(token_ids)
        if self.attention is None:
            x = embedded
            weights = ops.zeros(ops.shape(memory)[:2], dtype=memory.dtype)
        else:
            z, weights = self.attention(states[0], memory, keys=keys)
            x = ops.concatenate([embedded, self.gate(states[0]) * z], axis=-1)
        h, states = self.cell(x, states, training=training)
        deep = embedded + self.out_state(h)
        if self.attention is not None:
            deep = deep + self.out_context(z)
        logits = self.readout(self.dropout(ops.tanh(deep), training=training))
        return logits, list(states), weights

    # ---- training ----------------------------------------------------------
    def call(self, inputs, training=False):
        """(regions (B, 196, 512), decoder inputs (B, L) from START) ->
        logits (B, L, V). In training, also adds the attention penalty."""
        features, target_in = inputs
        logits, weights = self.forced_logits(features, target_in, training)
        if training and self.attention is not None and self.attention_penalty:
            self.add_loss(self.attention_penalty * attention_penalty(weights, target_in, self.pad))
        return logits

    # ---- raw-input training (RawInputs) ------------------------------------
    def is_raw(self, x):
        """Images (uint8 arrays or file paths), not (features, ids)."""
        if isinstance(x, np.ndarray):
            return x.dtype == np.uint8 and x.ndim == 4
        return isinstance(x, list) and bool(x) and isinstance(x[0], str | np.ndarray)

    def raw_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None):
        """Batches of ((regions, START + words), words + END) from images
        and one caption each (repeat an image for more). Each distinct image
        goes through VGG19 once, before training: the encoder is frozen."""
        import tensorflow as tf

        if y is None:
            raise ValueError("a captioner learns from (images, captions): pass both")
        images, captions = list(x), as_strs(list(y))
        if len(images) != len(captions):
            raise ValueError(f"{len(images)} images but {len(captions)} captions")
        rows = [self.caption_ids(text, i) for i, text in enumerate(captions)]
        regions_of, index = self.image_regions(images)
        target_in, target_out = self.teacher_forcing(rows)
        pairs = tf.data.Dataset.from_tensor_slices((index, target_in, target_out))
        if shuffle:
            pairs = pairs.shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
        table = tf.constant(regions_of)
        batches = pairs.batch(batch_size or 32).map(
            lambda i, t_in, t_out: ((tf.gather(table, i), t_in), t_out)
        )
        return batches.prefetch(tf.data.AUTOTUNE)

    def caption_ids(self, text, i):
        """A caption's word ids (unknown words OOV), refused if empty or too
        long for max_length (END included)."""
        tokens = words.tokenize(text)
        if not tokens or len(tokens) >= self.max_length:
            raise ValueError(
                f"caption {i} has {len(tokens)} words; this model writes 1 to {self.max_length - 1}"
            )
        return self.words.ids(tokens)

    def image_regions(self, images):
        """(regions of each distinct image (K, 196, 512), each row's index
        into them); a file that cannot be read is named with its row."""
        keys = [item if isinstance(item, str) else id(item) for item in images]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}
        distinct = sorted(first.values())
        pixels = []
        for i in distinct:
            item = images[i]
            try:
                pixels.append(read_image(item) if isinstance(item, str) else item)
            except (OSError, ValueError) as error:
                raise ValueError(f"image {i} ({item}): {error}") from None
        position = {keys[i]: k for k, i in enumerate(distinct)}
        return self.features(pixels), np.array([position[key] for key in keys], np.int32)

    def compile_defaults(self):
        """Adam with clipping; cross-entropy per word, PAD ignored (the
        attention penalty, in training, is the model's own loss)."""
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=self.pad)
        return {
            "optimizer": keras.optimizers.Adam(1e-3, clipnorm=5.0),
            "loss": loss,
            "metrics": None,
        }

    # ---- decoding ------------------------------------------------------------
    def text(self, ids):
        return " ".join(self.words.tokens[i] for i in ids)

    def caption_features(
        self,
        features,
        beam_width=1,
        length_penalty=0.0,
        batch_size=64,
        return_attention=False,
        no_repeat_ngram_size=0,
    ):
        """Captions of precomputed region features (N, 196, 512); with
        return_attention, also each caption's (words + END, 14, 14) maps;
        with no_repeat_ngram_size n, no caption holds any n-gram twice."""
        captions, maps = [], []
        for start in range(0, len(features), batch_size):
            chunk = features[start : start + batch_size]
            tokens, _, attn = self.decode(
                chunk, beam_width, length_penalty, no_repeat_ngram_size=no_repeat_ngram_size
            )
            for row, weights in zip(tokens, attn, strict=True):
                kept = self.output_ids(row)
                captions.append(self.text(kept))
                steps = min(len(kept) + 1, len(weights))
                maps.append(weights[:steps].reshape(steps, regions.GRID, regions.GRID))
        return (captions, maps) if return_attention else captions

    # ---- pixels in, text out ----------------------------------------------------
    def image_encoder(self):
        """VGG19 to conv5_4 (weights: `vgg_weights`, see zoo.models.vgg),
        built on first use and again if `vgg_weights` changes."""
        held = self._held
        if held.encoder is None or held.key != str(self.vgg_weights):
            held.encoder, held.key = regions.encoder(self.vgg_weights), str(self.vgg_weights)
        return held.encoder

    def features(self, images, batch_size=16):
        """Region features (N, 196, 512) of uint8 images of any size and
        mode (see zoo.images.as_rgb), each squashed to 224 x 224."""
        pixels = [regions.squash(as_rgb(image, f"image {i}")) for i, image in enumerate(images)]
        encoder = self.image_encoder()
        batches = [np.stack(pixels[i : i + batch_size]) for i in range(0, len(pixels), batch_size)]
        return np.concatenate([encoder.predict_on_batch(b) for b in batches])

    def caption(
        self,
        images,
        beam_width=3,
        return_attention=False,
        length_penalty=None,
        no_repeat_ngram_size=None,
    ):
        """Captions of a list of uint8 HWC images (any size, RGB, RGBA,
        greyscale, 16-bit: see zoo.images.as_rgb). With return_attention,
        also one (words + END, 14, 14) array of attention maps per image;
        with no_repeat_ngram_size n, no caption holds any n-gram twice.
        None takes DECODING's defaults, chosen on validation captions."""
        length_penalty, no_repeat_ngram_size = chosen_decoding(
            self.DECODING, length_penalty, no_repeat_ngram_size
        )
        check_beam_width(beam_width)
        if isinstance(images, np.ndarray) and images.ndim != 4:
            raise TypeError("caption() takes a list of images; wrap a single image in a list")
        images = list(images)
        if not images:
            return ([], []) if return_attention else []
        return self.caption_features(
            self.features(images),
            beam_width,
            length_penalty,
            return_attention=return_attention,
            no_repeat_ngram_size=no_repeat_ngram_size,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary": self.words.tokens,
            "cell": self.cell_name,
            "units": self.units,
            "embedding_dim": self.embedding_dim,
            "attention": self.attention_kind,
            "attention_units": self.attention_units,
            "memory_dim": self.memory_dim,
            "dropout": self.dropout_rate,
            "attention_penalty": self.attention_penalty,
            "max_length": self.max_length,
            "cell_options": self.cell_options,
            "vgg_weights": self.vgg_weights,
            "seed": self.seed,
        }

    @property
    def vocabulary(self):
        return list(self.words.tokens)


def attention_penalty(weights, target_in, pad):
    """Xu et al.'s doubly stochastic regulariser sum_i (1 - sum_t
    alpha_ti)^2, less its floor (every region receiving L / 196), which
    leaves the gradient as it is; summed over the batch and divided by its
    words, as the cross-entropy is. Padded steps do not count."""
    real = ops.cast(ops.not_equal(target_in, pad), weights.dtype)  # (B, L)
    received = ops.sum(weights * real[..., None], axis=1)  # (B, 196)
    even = ops.sum(real, axis=1, keepdims=True) / ops.cast(ops.shape(weights)[-1], weights.dtype)
    return ops.sum(ops.square(received - even)) / ops.maximum(ops.sum(real), 1.0)
