"""What each kind of zoo model exports. A `Graphs` gives:

- `onnx`: file name -> (function, input signature) of the ONNX graphs,
  which take and return tensors (token ids, states, uint8 images);
- `signatures`: SavedModel signature name -> (function, input signature),
  taking and returning strings for text models and images for image models;
- `examples`: inputs for each of them (warmup records, verification);
- `contract`: what an app needs beyond the graphs (vocabularies, tokens).

Every function returns a dict: its keys name the outputs. Input and output
names differ (tf2onnx cannot give an output the name of an input).

Every signature bounds what a request controls before the work starts
(`limits`, recorded in zoo.json): prompt and text lengths, generated
length, and decoded pixels, which are read from the image header before
anything is decoded.
"""

import keras
import numpy as np
import tensorflow as tf

from exports import work
from exports.text_ops import GraphSubwords, GraphVocabulary
from zoo import subwords
from zoo.models import seq2seq
from zoo.models.captioner import Captioner
from zoo.models.char_lm import CharLM
from zoo.models.fast_style import FastStyle
from zoo.models.seq2seq import WHITESPACE, Seq2Seq
from zoo.models.style_transfer import StyleTransfer
from zoo.models.text_classifier import MAX_TEXT_CHARS, TextClassifier
from zoo_runtime import limits
from zoo_runtime.chars import END, OOV, PAD, START
from zoo_runtime.images import PNG_MAGIC

# What one request may ask for; export(..., limits={...}) changes them.
LIMITS = {
    "max_prompt_chars": limits.MAX_PROMPT_CHARS,  # characters of one generate prompt
    "max_text_chars": 4096,  # characters of one text to translate (at most the model's own)
    "max_generate_length": limits.MAX_GENERATE_LENGTH,  # characters one request may ask for
    "max_image_pixels": limits.MAX_IMAGE_PIXELS,  # decoded pixels of one image
    "max_review_chars": MAX_TEXT_CHARS,  # characters of one text to classify (at most this)
}
PROMPTS = ["ROMEO:", "", "To be, or not"]


class NotExportable(ValueError):
    """This model has no exportable inference graph."""


def graphs_for(model, limits=None, input_signature=None):
    """The Graphs of a zoo model, or of any other Keras model (its tensors
    in and out); `limits` overrides entries of LIMITS, `input_signature`
    (tf.TensorSpecs) the inputs of a Keras model."""
    for model_type, graphs in (
        (CharLM, CharLMGraphs),
        (Seq2Seq, Seq2SeqGraphs),
        (FastStyle, FastStyleGraphs),
    ):
        if isinstance(model, model_type):
            return graphs(model, limits)
    if isinstance(model, TextClassifier):
        from exports.classifier_graphs import ClassifierGraphs

        return ClassifierGraphs(model, limits)
    if isinstance(model, Captioner):
        from exports.caption_graphs import CaptionGraphs

        return CaptionGraphs(model, limits)
    if isinstance(model, StyleTransfer):
        raise NotExportable(
            "style-transfer-vgg19 is an optimisation (hundreds of gradient steps through "
            "VGG19 per image), not a feed-forward graph; export a fast-style-* network, or "
            "run it with `zoo stylize`"
        )
    if isinstance(model, keras.Model):
        from exports.keras_graphs import KerasGraphs

        return KerasGraphs(model, limits, input_signature)
    raise NotExportable(f"no exporter for {type(model).__name__}: not a Keras model")


def check_limits(limits):
    unknown = set(limits or {}) - set(LIMITS)
    if unknown:
        raise ValueError(f"unknown limit(s) {sorted(unknown)}; known: {sorted(LIMITS)}")
    merged = {**LIMITS, **(limits or {})}
    for key, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"limit {key} must be a positive int, got {value!r}")
    return merged


def spec(shape, dtype, name):
    return tf.TensorSpec(shape, dtype, name=name)


class Graphs:
    LIMITS = ()  # the keys of LIMITS this kind of graph enforces

    def __init__(self, model, limits=None):
        self.model = model
        self.limits = {k: v for k, v in check_limits(limits).items() if k in self.LIMITS}

    def contract(self):
        return {"limits": self.limits, "work": self.work()}

    def work(self):
        """{signature: cost terms} (exports.work): what a server charges
        a request against its budget before running it."""
        return {}

    def resources(self):
        """Graph resources (lookup tables) the SavedModel must track."""
        return []

    def reference(self, signature, feed):
        """What the zoo API gives for a signature's inputs."""
        raise NotImplementedError


# ---- character language models ------------------------------------------------
class CharLMGraphs(Graphs):
    """ONNX: one step graph, (token_ids (B, T), states) -> (logits (B, T, V),
    next states); T = 1 streams, T > 1 reads a prompt. SavedModel: text
    generation from prompts, tokenised and sampled inside the graph."""

    LIMITS = ("max_prompt_chars", "max_generate_length")

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        self.vocabulary = GraphVocabulary(model.vocabulary)

    def resources(self):
        return [self.vocabulary]

    @property
    def state_names(self):
        return [
            f"state_{i}_{k}"
            for i, rnn in enumerate(self.model.recurrent)
            for k in range(len(rnn.cell.state_size))
        ]

    def _group(self, flat):
        grouped, start = [], 0
        for rnn in self.model.recurrent:
            count = len(rnn.cell.state_size)
            grouped.append(list(flat[start : start + count]))
            start += count
        return grouped

    def _state_specs(self):
        sizes = [s for rnn in self.model.recurrent for s in rnn.cell.state_size]
        return [
            spec((None, s), tf.float32, n) for s, n in zip(sizes, self.state_names, strict=True)
        ]

    @property
    def onnx(self):
        return {
            "model.onnx": (
                self.step,
                [spec((None, None), tf.int32, "token_ids"), *self._state_specs()],
            )
        }

    def step(self, token_ids, *states):
        logits, final = self.model.forward(token_ids, self._group(states))
        flat = [s for layer in final for s in layer]
        names = [f"next_{n}" for n in self.state_names]
        return {"logits": logits, **dict(zip(names, flat, strict=True))}

    @property
    def signatures(self):
        signature = [
            spec((None,), tf.string, "prompt"),
            spec((None,), tf.int32, "length"),
            spec((None,), tf.float32, "temperature"),
            spec((None,), tf.int64, "seed"),
        ]
        return {"serving_default": (self.generate, signature)}

    def work(self):
        step = work.weight_macs(self.model, [self.model.embedding])
        return {"serving_default": [work.term("prompt", "byte", step),
                                    work.term("length", "value", step)]}  # fmt: skip

    def generate(self, prompt, length, temperature, seed):
        """Continuations of `prompt` (the prompt not repeated), `length`
        characters each, and their log-probability under the model.
        Temperature 0 is greedy; each row samples from its own seed, so a
        row's text does not depend on what else shares the batch."""
        length = _checked(length, 0, self.limits["max_generate_length"], "length")
        temperature = _checked(temperature, 0.0, 1e6, "temperature")
        most = self.limits["max_prompt_chars"]
        prompt = _checked_bytes(prompt, most, "prompt bytes")
        ids = self.vocabulary.encode(tf.where(tf.equal(prompt, ""), "\n", prompt))
        lengths = _checked(tf.cast(ids.row_lengths(), tf.int32), 0, most, "prompt characters")
        padded = ids.to_tensor(0)
        batch, width = tf.shape(padded)[0], tf.shape(padded)[1]
        total = tf.maximum(tf.reduce_max(lengths) - 1 + tf.reduce_max(length), 1)
        states = [
            [tf.zeros((batch, s)) for s in rnn.cell.state_size] for rnn in self.model.recurrent
        ]
        banned = tf.one_hot(0, len(self.model.vocabulary), on_value=-1e9)

        def body(t, token, states, chosen, scores):
            feed = tf.where(t < lengths, padded[:, tf.minimum(t, width - 1)], token)
            logits, states = self.model.step(feed, states)
            logits = logits + banned
            noise = _gumbel(seed, t, tf.shape(logits)[1])
            hot = tf.where(temperature[:, None] > 0, noise, 0.0)
            scaled = logits / tf.maximum(temperature, 1e-6)[:, None] + hot
            token = tf.cast(tf.argmax(scaled, -1), tf.int32)
            score = tf.gather(tf.nn.log_softmax(logits), token, batch_dims=1)
            return t + 1, token, states, chosen.write(t, token), scores.write(t, score)

        init = (
            tf.constant(0),
            tf.zeros((batch,), tf.int32),
            states,
            tf.TensorArray(tf.int32, size=total),
            tf.TensorArray(tf.float32, size=total),
        )
        *_, chosen, scores = tf.while_loop(lambda t, *_: t < total, body, init)
        position = tf.range(total)[None, :]
        first = (lengths - 1)[:, None]
        keep = (position >= first) & (position < first + length[:, None])
        return {
            "text": self.vocabulary.decode(tf.transpose(chosen.stack()), keep),
            "log_prob": tf.reduce_sum(tf.where(keep, tf.transpose(scores.stack()), 0.0), axis=1),
        }

    def examples(self):
        rng = np.random.default_rng(0)
        ids = rng.integers(1, len(self.model.vocabulary), (2, 12)).astype(np.int32)
        states = {s.name: rng.normal(0, 0.5, (2, s.shape[1])).astype(np.float32)
                  for s in self._state_specs()}  # fmt: skip
        prompts = _strings(PROMPTS)
        return {
            "model.onnx": [
                {"token_ids": ids, **states},
                {"token_ids": ids[:1, :1], **{k: v[:1] for k, v in states.items()}},
            ],
            "serving_default": [{
                "prompt": prompts,
                "length": np.array([40, 10, 25], np.int32),
                "temperature": np.zeros(3, np.float32),
                "seed": np.zeros(3, np.int64),
            }],
        }  # fmt: skip

    def reference(self, signature, feed):
        if np.any(feed["temperature"] != 0):
            raise ValueError("only greedy generation (temperature 0) has a reference")
        texts = [
            self.model.generate(p.decode(), int(n), temperature=0)
            for p, n in zip(feed["prompt"], feed["length"], strict=True)
        ]
        return {"text": _strings(texts)}

    def contract(self):
        return {
            **super().contract(),
            "vocabulary": self.model.vocabulary,
            "oov_id": 0,
            "state_names": self.state_names,
        }


# ---- sequence to sequence ------------------------------------------------------
class Seq2SeqGraphs(Graphs):
    """ONNX: an encoder graph and a decoder-step graph, so an app in any
    language runs greedy or beam search itself (exports.verify runs greedy
    and must match Keras token for token). SavedModel:
    texts -> texts, tokenised and detokenised inside the graph."""

    LIMITS = ("max_text_chars",)
    EXAMPLES = {
        "chars": ["Tuesday, March 3rd 2015", "3 Jan 1999", "the 12th of October, 2021"],
        "subwords": ["¿Dónde está la estación?", "Tom no quería hacerlo.", "Tengo 3 gatos."],
    }

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        chars = model.tokenizer == "chars"
        most = model.max_input_length if chars else seq2seq.MAX_TEXT_CHARS
        self.limits["max_text_chars"] = min(self.limits["max_text_chars"], most)
        vocabulary = GraphVocabulary if chars else GraphSubwords
        self.source = vocabulary(model.source.tokens)
        self.target = vocabulary(model.target.tokens)

    def resources(self):
        return [self.source, self.target]

    def reference(self, signature, feed):
        texts = [t.decode() for t in feed["text"]]
        if signature == "serving_default":
            return {"output": _strings(self.model.translate(texts))}
        ids = self.model.encode_texts(texts)
        pieces = np.full(ids.shape, b"", object)
        for row, text in enumerate(texts):
            found = self.model.source.pieces(text)
            pieces[row, : len(found)] = [p.encode() for p in found]
        return {"token_ids": ids, "tokens": pieces}

    @property
    def state_names(self):
        return [f"state_{k}" for k in range(len(self.model.decoder_cell.state_size))]

    @property
    def has_keys(self):
        return self.model.attention is not None

    @property
    def onnx(self):
        m = self.model
        memory = 2 * m.units
        keys = [spec((None, None, m.attention.units), tf.float32, "keys")] if self.has_keys else []
        states = [
            spec((None, size), tf.float32, n)
            for size, n in zip(m.decoder_cell.state_size, self.state_names, strict=True)
        ]
        decoder = [
            spec((None,), tf.int32, "token_ids"),
            *states,
            spec((None, None, memory), tf.float32, "memory"),
            *keys,
            spec((None, None), tf.bool, "source_mask"),
            spec((None, memory), tf.float32, "summary"),
        ]
        return {
            "encoder.onnx": (self.encoder, [spec((None, None), tf.int32, "source_ids")]),
            "decoder.onnx": (self.decoder, decoder),
        }

    def encoder(self, source_ids):
        memory, mask, keys, states, summary = self.model.encode(source_ids)
        out = {"memory": memory, "source_mask": mask, "summary": summary}
        if self.has_keys:
            out["keys"] = keys
        return {**out, **dict(zip(self.state_names, states, strict=True))}

    def decoder(self, token_ids, *rest):
        count = len(self.state_names)
        states, (memory, *rest) = list(rest[:count]), rest[count:]
        keys = rest.pop(0) if self.has_keys else None
        mask, summary = rest
        logits, states, weights = self.model.step(
            token_ids, states, (memory, mask, keys, None, summary)
        )
        names = [f"next_{n}" for n in self.state_names]
        return {"logits": logits, "attention": weights, **dict(zip(names, states, strict=True))}

    def greedy_ids(self, encoder_feed):
        """Greedy target ids (B, L) from Keras, which the ONNX loop must match."""
        tokens, _, _ = self.model.decode(encoder_feed["source_ids"])
        return tokens

    @property
    def banned(self):
        return (0, self.model.pad, self.model.start)

    @property
    def max_length(self):
        return self.model.max_output_length

    @property
    def signatures(self):
        text = [spec((None,), tf.string, "text")]
        if self.model.tokenizer == "chars":
            return {"serving_default": (self.translate, text)}
        return {"serving_default": (self.translate, text), "tokenize": (self.tokenize, text)}

    def work(self):
        m = self.model
        step = work.weight_macs(m, [m.source_embedding, m.target_embedding])
        # Each source character is one encoder step; each row decodes up to
        # max_output_length steps (greedy), attending over the source.
        terms = [
            work.term("text", "byte", step),
            work.term("text", "row", m.max_output_length * step),
        ]
        return {"serving_default": terms}

    def tokenize(self, text):
        """Source ids and pieces as the model reads them (padded with the
        source pad id and ""): the tokeniser inside this graph, to compare."""
        text = _checked_bytes(text, self.limits["max_text_chars"], "input text bytes")
        ids = self.source.encode(text)
        pieces = tf.gather(self.source.tokens, ids)
        return {"token_ids": ids.to_tensor(self.model.source_pad), "tokens": pieces.to_tensor("")}

    def translate(self, text):
        most = self.limits["max_text_chars"]
        text = _checked_bytes(text, most, "input text bytes")
        blank = tf.strings.regex_full_match(text, f"[{_re_class(WHITESPACE)}]*")
        not_blank = tf.debugging.Assert(
            tf.logical_not(tf.reduce_any(blank)), ["empty or whitespace-only input text"]
        )
        chars = tf.strings.length(text, unit="UTF8_CHAR")
        short = tf.debugging.assert_less_equal(
            chars, most, f"an input text is over {most} characters"
        )
        with tf.control_dependencies([not_blank, short]):
            ids = self.source.encode(text)
        lengths, longest = ids.row_lengths(), self.model.max_input_length
        checks = [  # for character models, implied by the check above
            tf.debugging.assert_less_equal(
                lengths, tf.cast(longest, lengths.dtype), f"an input text is over {longest} tokens"
            ),
            tf.debugging.assert_positive(lengths, "an input text has no tokens"),
        ]
        with tf.control_dependencies(checks):
            padded = ids.to_tensor(self.model.source_pad)
        tokens, log_prob, _ = self.model.greedy(padded, self.model.max_output_length)
        before_end = tf.equal(
            tf.cumsum(tf.cast(tf.equal(tokens, self.model.end), tf.int32), axis=1), 0
        )
        keep = before_end & tf.not_equal(tokens, self.model.pad)
        return {"output": self.target.decode(tokens, keep), "log_prob": log_prob}

    def tokenisation(self):
        """How apps turn text into source ids and target ids into text."""
        if self.model.tokenizer == "chars":
            return {"kind": "chars", "rule": "one id per character; unknown characters -> oov"}
        return {
            "kind": "subwords",
            "separators": subwords.SEPARATORS,
            "rewrites": [list(r) for r in subwords.REWRITES],
            "mark": subwords.MARK,
            "space": subwords.SPACE,
            "max_piece": subwords.MAX_PIECE,
            "rule": "separator runs -> one space; prepend one space; apply rewrites in order "
            "(RE2 / JavaScript patterns); split at mark, dropping empty strings; split each "
            "pre-token into the longest vocabulary piece (at most max_piece characters) from its "
            "start, then from where it ended...; a character no piece covers -> oov. Output: "
            "join the pieces, space -> ' ', strip spaces at both ends",
        }  # fmt: skip

    def examples(self):
        texts = self.EXAMPLES[self.model.tokenizer]
        source_ids = self.model.encode_texts(texts)
        encoded = {k: v.numpy() for k, v in self.encoder(tf.constant(source_ids)).items()}
        start = np.full(len(texts), self.model.start, np.int32)
        decoder = {"token_ids": start, **{k: v for k, v in encoded.items() if k != "source_ids"}}
        return {
            "encoder.onnx": [{"source_ids": source_ids}],
            "decoder.onnx": [decoder],
            "serving_default": [{"text": _strings(texts)}],
            **({"tokenize": [{"text": _strings(texts)}]} if "tokenize" in self.signatures else {}),
        }

    def contract(self):
        m = self.model
        return {
            **super().contract(),
            "blank_characters": WHITESPACE,
            "source_vocabulary": m.source.tokens,
            "target_vocabulary": m.target.tokens,
            "special_tokens": {"oov": [OOV, 0], "pad": [PAD, m.pad], "start": [START, m.start],
                               "end": [END, m.end], "source_pad": [PAD, m.source_pad]},
            "tokenisation": self.tokenisation(),
            "max_input_length": m.max_input_length,
            "max_output_length": m.max_output_length,
            "decoding": "run encoder.onnx once; start decoder.onnx from token_ids = start and "
            "the encoder's state_k; each step feed back next_state_k and the chosen id "
            "(never oov, pad or start); stop at end or max_output_length",
        }  # fmt: skip


# ---- images ------------------------------------------------------------------------
class FastStyleGraphs(Graphs):
    """uint8 NHWC images in, stylised uint8 images out; the SavedModel also
    takes encoded JPEG/PNG bytes and returns PNG bytes."""

    LIMITS = ("max_image_pixels",)

    @property
    def onnx(self):
        return {"model.onnx": (self.stylize, [spec((None, None, None, 3), tf.uint8, "image")])}

    def stylize(self, image):
        shape = tf.shape(image, out_type=tf.int64)
        pixels = shape[1] * shape[2]
        image = _checked(pixels, 0, self.limits["max_image_pixels"], "image pixels", image)
        out = self.model(tf.cast(image, tf.float32))
        return {"stylized": tf.cast(tf.round(tf.clip_by_value(out, 0.0, 255.0)), tf.uint8)}

    @property
    def signatures(self):
        return {
            "serving_default": self.onnx["model.onnx"],
            "encoded": (self.stylize_encoded, [spec((None,), tf.string, "image_bytes")]),
        }

    def work(self):
        return work.image_signatures(*work.image_macs(self.stylize))

    def stylize_encoded(self, image_bytes):
        most = self.limits["max_image_pixels"]

        def one(data):
            data = _checked(_declared_pixels(data), 0, most, "image pixels", data)
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
            image = tf.ensure_shape(image, (None, None, 3))
            return tf.io.encode_png(self.stylize(image[None])["stylized"][0])

        return {"stylized_png_bytes": tf.map_fn(one, image_bytes, fn_output_signature=tf.string)}

    def reference(self, signature, feed):
        if signature == "serving_default":
            return {"stylized": self.model.stylize(feed["image"])}
        decoded = [tf.io.decode_image(b, channels=3).numpy() for b in feed["image_bytes"]]
        pngs = [tf.io.encode_png(self.model.stylize(image)).numpy() for image in decoded]
        return {"stylized_png_bytes": np.array(pngs, object)}

    def examples(self):
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (2, 48, 40, 3)).astype(np.uint8)
        return {
            "model.onnx": [{"image": images}, {"image": images[:1, :33, :17]}],
            "serving_default": [{"image": images[:1]}],
            "encoded": [{"image_bytes": np.array([tf.io.encode_png(images[0]).numpy()], object)}],
        }


def _gumbel(seeds, t, vocab):
    """Gumbel noise (B, vocab) for step t: argmax(logits / T + noise)
    samples softmax(logits / T). Row b's noise is splitmix64 of (seeds[b],
    t, token) alone, so no row depends on the others in its batch."""
    golden = tf.constant(0x9E3779B97F4A7C15, tf.uint64)
    base = _splitmix(tf.cast(seeds, tf.uint64))[:, None]
    steps = tf.cast(t, tf.int64) * tf.cast(vocab, tf.int64)
    counter = tf.cast(steps + tf.range(1, tf.cast(vocab, tf.int64) + 1, dtype=tf.int64), tf.uint64)
    bits = _splitmix(base + counter[None, :] * golden)
    top = tf.bitwise.right_shift(bits, tf.constant(11, tf.uint64))  # 53 bits
    uniform = (tf.cast(top, tf.float64) + 0.5) / float(1 << 53)  # in (0, 1)
    # In float64, then rounded: SIMD and scalar log differ in the last bit,
    # and which one an element gets depends on its place in the batch.
    return tf.cast(-tf.math.log(-tf.math.log(uniform)), tf.float32)


def _splitmix(x):
    """splitmix64's finaliser (Steele et al. 2014), in wrapping uint64."""
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(shift, tf.uint64)))
        x = x * tf.constant(factor, tf.uint64)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(31, tf.uint64)))


def _declared_pixels(data):
    """Width x height from a JPEG's or PNG's header, without decoding;
    anything else is refused."""

    def png():
        header = tf.cast(tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.uint8), tf.int64)
        width = tf.reduce_sum(header[:4] * [1 << 24, 1 << 16, 1 << 8, 1])
        height = tf.reduce_sum(header[4:] * [1 << 24, 1 << 16, 1 << 8, 1])
        return width * height

    def jpeg():
        shape = tf.cast(tf.io.extract_jpeg_shape(data), tf.int64)
        return shape[0] * shape[1]

    is_png = tf.equal(tf.strings.substr(data, 0, 8), PNG_MAGIC) & (tf.strings.length(data) >= 24)
    known = tf.io.is_jpeg(data) | is_png
    with tf.control_dependencies([tf.debugging.Assert(known, ["image_bytes must be JPEG or PNG"])]):
        return tf.cond(is_png, png, jpeg)


def _re_class(characters):
    """Characters as the inside of an RE2 character class."""
    return "".join(f"\\x{ord(c):02x}" for c in characters)


def _strings(texts):
    return np.array([t.encode() for t in texts], object)


def _checked_bytes(texts, most_chars, name):
    """`texts`, once each is checked to hold at most 4 * most_chars bytes
    (UTF-8's most per character): a bound before anything is decoded."""
    return _checked(tf.strings.length(texts), 0, 4 * most_chars, name, texts)


def _checked(values, low, high, name, then=None):
    """`then` (default `values`), once a graph assertion has checked that
    each of `values` lies in [low, high]."""
    ok = tf.reduce_all((values >= low) & (values <= high))
    with tf.control_dependencies(
        [tf.debugging.Assert(ok, [f"{name} must lie in [{low}, {high}]"])]
    ):
        return tf.identity(values if then is None else then)
