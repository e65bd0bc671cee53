"""Text classification, the many-to-one RNN: words -> embedding ->
bidirectional layer of any zoo cell (masked) -> pooling over time ->
sigmoid (two labels) or softmax head.

Pooling is "attention" (a learned query attends over the steps), "max"
(max over time) or "attention+max" (both, concatenated). Its weights per
token are what `explain` returns: the attention weights, or, for "max",
the share of the pooled features each token holds.

Tokenisation (`zoo.words`) is part of the model: the same ids here, in the
exported SavedModel and in serving.OnnxModel's numpy code.
"""

import keras
import numpy as np
from keras import ops

from zoo import layers, package_files
from zoo.layers.pooling import AttentionPooling, masked_max
from zoo.models.compiled import compiled
from zoo.models.raw_inputs import RawInputs, as_strs, holds_strings
from zoo.words import WordVocabulary
from zoo_runtime.checks import check_texts
from zoo_runtime.limits import MAX_REVIEW_CHARS

POOLING = ("attention", "max", "attention+max")
BATCH = 64  # texts per forward pass in predict_proba


@keras.saving.register_keras_serializable(package="zoo")
class TextClassifier(RawInputs, keras.Model):
    """A text classifier: words, embedding, a bidirectional layer of any
    zoo cell, pooling over time (attention, max or both), and a head.

    Args:
        vocabulary: the words, index = id; id 0 is PAD and 1 OOV
            (`zoo.words.WordVocabulary.from_texts`).
        labels: the class names. Two give a sigmoid head whose probability
            is that of `labels[1]`; more give a softmax.
        cell: a zoo cell name (`zoo.layers.CELLS`).
        units: units of each direction of the recurrent layer.
        embedding_dim: width of the word embedding.
        pooling: "attention", "max" or "attention+max".
        attention_units: width of the attention pooling's projection.
        embedding_dropout: share of embedding channels dropped per text.
        dropout: dropout before the head.
        max_tokens: the most tokens read. A longer text keeps its first
            `head_tokens` and the rest from its end.
        head_tokens: see `max_tokens`.
        cell_options: passed to the cell.
        embeddings: word vectors to start from: a word-vectors model of
            width `embedding_dim`, e.g. `zoo.load("word2vec-en")`. The
            embedding rows of the words both vocabularies hold start as its
            vectors, the rest at random. Not kept in the config: the
            weights hold it.
        **kwargs: `keras.Model` arguments.

    `fit`, `evaluate` and `predict` take raw texts, and labels as names
    (`labels`' strings) or indices, as well as token ids (`zoo.models.
    raw_inputs`); a model that was never compiled compiles itself with
    `compile_defaults()`.

    Example:

    >>> from zoo.words import WordVocabulary
    >>> texts = ["a good film", "a bad film"]
    >>> model = TextClassifier(WordVocabulary.from_texts(texts, 10).tokens, units=8)
    >>> model.predict_proba(texts).shape
    (2,)
    >>> history = model.fit(texts, ["positive", "negative"], epochs=1, verbose=0)
    """

    task = "sentiment"  # the card's task: picks each stage's module for this family
    ASSETS = ("vocabulary",)  # saved beside config.json, not in it (zoo.registry)

    def __init__(
        self,
        vocabulary: list[str],
        labels: tuple[str, ...] = ("negative", "positive"),
        cell: str = "gru",
        units: int = 64,
        embedding_dim: int = 128,
        pooling: str = "attention+max",
        attention_units: int = 64,
        embedding_dropout: float = 0.0,
        dropout: float = 0.0,
        max_tokens: int = 400,
        head_tokens: int = 100,
        cell_options: dict | None = None,
        embeddings=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.words = WordVocabulary(vocabulary)
        self.labels = _check_labels(labels)
        if pooling not in POOLING:
            raise ValueError(f"`pooling` must be one of {POOLING}, got {pooling!r}")
        if not (
            isinstance(max_tokens, int)
            and isinstance(head_tokens, int)
            and 0 <= head_tokens <= max_tokens
            and max_tokens >= 1
        ):
            raise ValueError(
                f"need ints 0 <= head_tokens <= max_tokens, max_tokens >= 1; got "
                f"max_tokens={max_tokens!r}, head_tokens={head_tokens!r}"
            )
        self.cell_name, self.units, self.embedding_dim = cell, units, embedding_dim
        self.pooling, self.attention_units = pooling, attention_units
        self.embedding_dropout, self.dropout = embedding_dropout, dropout
        self.max_tokens, self.head_tokens = max_tokens, head_tokens
        self.cell_options = dict(cell_options or {})

        initializer = "uniform" if embeddings is None else self._warm_start(embeddings)
        self.embedding = keras.layers.Embedding(
            len(self.words), embedding_dim, initializer, name="embedding"
        )
        # Variational: one mask of embedding channels for every step.
        self.embedding_drop = keras.layers.SpatialDropout1D(embedding_dropout)
        self.encoder = keras.layers.Bidirectional(
            layers.make_layer(cell, units, self.cell_options, return_sequences=True),
            name="encoder",
        )
        self.attention = (
            AttentionPooling(attention_units, name="attention_pooling")
            if "attention" in pooling
            else None
        )
        self.head_drop = keras.layers.Dropout(dropout)
        outputs = 1 if len(self.labels) == 2 else len(self.labels)
        self.head = keras.layers.Dense(outputs, dtype="float32", name="head")
        self._forward_fn = None

    @property
    def vocabulary(self):
        return list(self.words.tokens)

    def build(self, input_shape=None):
        memory = 2 * self.units
        shapes = [
            (self.embedding, (None, None)),
            (self.encoder, (None, None, self.embedding_dim)),
            (self.attention, (None, None, memory)),
            (self.head, (None, memory * len(self.pooling.split("+")))),
        ]
        for layer, shape in shapes:
            if layer is not None and not layer.built:  # a first call may have built some
                layer.build(shape)
        self.built = True

    def call(self, token_ids, training=False):
        """Logits: (B,) for two labels, else (B, len(labels))."""
        return self.forward(token_ids, training=training)[0]

    def forward(self, token_ids, training=False):
        """(logits, pooling weights (B, T): 0 on padding, 1 in sum per row)."""
        mask = ops.not_equal(token_ids, 0)
        x = self.embedding_drop(self.embedding(token_ids), training=training)
        memory = self.encoder(x, mask=mask, training=training)
        pooled, weights = [], None
        if self.attention is not None:
            context, weights = self.attention(memory, mask=mask)
            pooled.append(context)
        if "max" in self.pooling:
            maxima, shares = masked_max(memory, mask)
            pooled.append(maxima)
            weights = shares if weights is None else weights
        features = pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=-1)
        logits = self.head(self.head_drop(features, training=training))
        if len(self.labels) == 2:
            logits = logits[:, 0]
        return logits, weights

    def probabilities(self, logits):
        return ops.sigmoid(logits) if len(self.labels) == 2 else ops.softmax(logits, axis=-1)

    # ---- text API --------------------------------------------------------
    def encode_texts(self, texts):
        """(ids (N, T) int32, token lists): zoo.words' contract, checked."""
        texts = check_texts(texts)
        for i, text in enumerate(texts):
            if len(text) > MAX_REVIEW_CHARS:
                raise ValueError(
                    f"input {i} has {len(text):,} characters; at most {MAX_REVIEW_CHARS:,} are read"
                )
        return self.words.encode(texts, self.max_tokens, self.head_tokens)

    def predict_proba(self, texts):
        """P(labels[1]) per text, (N,), for two labels; else (N, classes)."""
        ids, _ = self.encode_texts(texts)
        return self._run(ids)[0]

    def classify(self, texts):
        """The likeliest label of each text."""
        return self.labels_of(self.predict_proba(texts))

    def labels_of(self, probs):
        """The likeliest label of each row of predict_proba's result."""
        if len(self.labels) == 2:
            return [self.labels[int(p >= 0.5)] for p in probs]
        return [self.labels[int(i)] for i in np.argmax(probs, axis=-1)]

    def explain(self, text):
        """(tokens, weights): the tokens the model read (after truncation)
        and the pooling weight of each; the weights sum to 1."""
        if not isinstance(text, str):
            raise TypeError(f"explain() takes one str, got {type(text).__name__}")
        ids, tokens = self.encode_texts([text])
        _, weights = self._run(ids)
        return tokens[0], weights[0, : len(tokens[0])]

    # ---- raw-input training (RawInputs) ------------------------------------
    def is_raw(self, x):
        return holds_strings(x)

    def preprocess(self, texts, labels=None):
        """(token ids (B, T), label ids) of one batch of texts and labels."""
        ids, _ = self.encode_texts(as_strs(texts))
        return (ids,) if labels is None else (ids, self.label_ids(labels))

    def raw_signature(self, labelled):
        import tensorflow as tf

        ids = tf.TensorSpec((None, None), tf.int32)
        label = tf.TensorSpec((None,), tf.float32 if len(self.labels) == 2 else tf.int32)
        return (ids, label) if labelled else (ids,)

    def label_ids(self, labels):
        """Labels by name or index, as the loss takes them (label_ids)."""
        return label_ids(labels, self.labels)

    def compile_defaults(self):
        """Adam with clipping; cross-entropy on the logits, and accuracy."""
        if len(self.labels) == 2:
            loss = keras.losses.BinaryCrossentropy(from_logits=True)
            accuracy = keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")
        else:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        optimizer = keras.optimizers.Adam(1e-3, clipnorm=1.0)
        return {"optimizer": optimizer, "loss": loss, "metrics": [accuracy]}

    def with_labels(self, labels):
        """A copy for another label set: the embedding, recurrent layer and
        pooling kept, a new (untrained) head."""
        model = package_files.rebuilt(self, labels=list(labels))
        for mine, its in (
            (model.embedding, self.embedding),
            (model.encoder, self.encoder),
            (model.attention, self.attention),
        ):
            if mine is not None:
                mine.set_weights(its.get_weights())
        model.card = getattr(self, "card", None)  # its base, for save_package's card
        return model

    def _run(self, ids):
        """(probabilities, weights) in batches of similar lengths."""
        if self._forward_fn is None:
            self._forward_fn = compiled(self._probabilities_and_weights)
        lengths = np.count_nonzero(ids, axis=1)
        order = np.argsort(lengths, kind="stable")
        probs = [None] * len(ids)
        weights = np.zeros(ids.shape, np.float32)
        for start in range(0, len(ids), BATCH):
            rows = order[start : start + BATCH]
            width = max(int(lengths[rows].max()), 1)
            p, w = self._forward_fn(ops.convert_to_tensor(ids[rows, :width]))
            p, w = ops.convert_to_numpy(p), ops.convert_to_numpy(w)
            for k, row in enumerate(rows):
                probs[row] = p[k]
            weights[rows, :width] = w
        return np.array(probs, np.float32), weights

    def _warm_start(self, source):
        """The embedding initializer: Keras' uniform rows, with those of the
        words `source` knows replaced by its vectors."""
        if getattr(source, "task", None) != "word-vectors":
            raise ValueError(
                f"embeddings must be word vectors, e.g. zoo.load('word2vec-en'), got {source!r}"
            )
        vectors = np.asarray(source.vectors, np.float32)
        if vectors.shape[1] != self.embedding_dim:
            raise ValueError(
                f"the word vectors are {vectors.shape[1]} wide and embedding_dim is "
                f"{self.embedding_dim}: make them equal"
            )
        theirs = {word: i for i, word in enumerate(source.vocabulary) if i >= 2}
        shared = [(i, theirs[w]) for i, w in enumerate(self.words.tokens) if w in theirs]
        self.warm_words = len(shared)  # how many rows start from the vectors

        def initializer(shape, dtype=None):
            # Tensor ops, not numpy: fit may build the model inside a graph.
            rows = keras.initializers.RandomUniform()(shape, dtype)
            if not shared:
                return rows
            mine, its = (np.array(x) for x in zip(*shared, strict=True))
            return ops.scatter_update(rows, mine[:, None], ops.cast(vectors[its], rows.dtype))

        return initializer

    def _probabilities_and_weights(self, token_ids):
        logits, weights = self.forward(token_ids)
        return self.probabilities(logits), weights

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary": self.vocabulary,
            "labels": list(self.labels),
            "cell": self.cell_name,
            "units": self.units,
            "embedding_dim": self.embedding_dim,
            "pooling": self.pooling,
            "attention_units": self.attention_units,
            "embedding_dropout": self.embedding_dropout,
            "dropout": self.dropout,
            "max_tokens": self.max_tokens,
            "head_tokens": self.head_tokens,
            "cell_options": self.cell_options,
        }


def _check_labels(labels):
    labels = list(labels)
    if (
        len(labels) < 2
        or len(set(labels)) != len(labels)
        or not all(isinstance(label, str) and label for label in labels)
    ):
        raise ValueError(f"`labels` must be two or more distinct non-empty strs, got {labels!r}")
    return labels


def label_ids(labels, names):
    """Labels given by name (one of `names`) or index, as the loss takes
    them: float 0/1 for two names, else int class indices."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "USO":
        index = {name: i for i, name in enumerate(names)}
        given = as_strs(labels.tolist())
        unknown = sorted({str(n) for n in given} - set(index))
        if unknown:
            raise ValueError(
                f"labels {unknown[:5]} are not among this model's {list(names)}; "
                "with_labels(names) gives a copy with a new head for a new label set"
            )
        ids = np.array([index[n] for n in given], np.int64)
    else:
        ids = labels.astype(np.int64)
        if not np.array_equal(ids, labels) or (
            ids.size and not (0 <= ids.min() and ids.max() < len(names))
        ):
            raise ValueError(f"label indices must be integers in [0, {len(names)})")
    return ids.astype(np.float32 if len(names) == 2 else np.int32)
