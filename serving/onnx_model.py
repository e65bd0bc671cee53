"""`OnnxModel`: an exported zoo model run end to end with numpy and
onnxruntime alone (no TensorFlow): text in, text out for character LMs and
seq2seq models; uint8 images in and out for fast style networks.

It reads a version directory written by `exports` (or a model's base
directory, taking its highest version): the ONNX graphs plus `zoo.json`,
which holds the vocabularies, special tokens, state names and the sha256
of every file (checked before anything is loaded).
"""

import functools
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from zoo_runtime.chars import CharVocabulary
from zoo_runtime.checks import check_beam_width, check_generate_args, check_texts
from zoo_runtime.checksums import sha256
from zoo_runtime.images import as_rgb
from zoo_runtime.layout import SIDECAR, version_folders
from zoo_runtime.search import Decoder, random_seed, sample
from zoo_runtime.subwords import Subwords
from zoo_runtime.words import Tokenizer


class ArtifactError(ValueError):
    """The directory is not a complete, intact zoo export."""


class OnnxModel:
    def __init__(self, path, providers=("CPUExecutionProvider",), threads=None):
        self.path = version_directory(path)
        self.contract = read_contract(self.path)
        files = self.contract.get("onnx") or {}
        if not files:
            raise ArtifactError(f"{self.path} has no ONNX graphs (exported without 'onnx'?)")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.sessions = {
            name.removesuffix(".onnx"): ort.InferenceSession(
                str(self.path / name), options, providers=list(providers)
            )
            for name in files
        }
        self.name = self.contract["name"]
        self.kind = _kind(self.sessions, self.contract)
        self.limits = self.contract.get("limits") or {}
        self._tokenizer = None

    def __repr__(self):
        return f"OnnxModel({self.name!r}, kind={self.kind!r}, path='{self.path}')"

    def run(self, graph, feed):
        """{output name: array} of one graph ("model", "encoder", "decoder")."""
        session = self.sessions[graph]
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, feed), strict=True))

    # ---- character language models ------------------------------------------
    def generate(self, prompt, length=200, temperature=1.0, top_k=None, seed=None):
        """`length` characters continuing `prompt`, as zoo's CharLM.generate
        (and the SavedModel) give them for the same seed: temperature 0 is
        greedy, an empty prompt starts from a newline."""
        self._expect("char-lm", "generate")
        check_generate_args(prompt, length, temperature, top_k, seed)
        self._within("max_prompt_chars", len(prompt), "prompt characters")
        self._within("max_generate_length", length, "length")
        if length == 0:
            return ""
        vocabulary = self.contract["vocabulary"]
        seed = random_seed() if seed is None else seed
        ids = CharVocabulary(vocabulary).encode(prompt or "\n")[None]
        step = ids.shape[1] - 1  # the row's token count, prompt included
        states = {
            n: np.zeros((1, self._width(n)), np.float32) for n in self.contract["state_names"]
        }
        out = []
        while True:
            result = self.run("model", {"token_ids": ids, **states})
            out.append(sample(result["logits"][0, -1], temperature, top_k, seed, step))
            step += 1
            if len(out) == length:
                return "".join(vocabulary[i] for i in out)
            ids = np.array([[out[-1]]], np.int32)
            states = {n: result[f"next_{n}"] for n in states}

    def _within(self, limit, value, what):
        """The export's limits (zoo.json), as its SavedModel enforces them."""
        most = self.limits.get(limit)
        if most is not None and value > most:
            raise ValueError(f"{what}: {value:,} is over this export's limit of {most:,}")

    def _width(self, state):
        return self.contract["onnx"]["model.onnx"]["inputs"][state]["shape"][-1]

    # ---- sequence to sequence -----------------------------------------------------
    def translate(self, texts, beam_width=1, length_penalty=0.0):
        """Strings in, strings out, as zoo's Seq2Seq.translate (greedy, or
        beam search with `beam_width` > 1)."""
        self._expect("seq2seq", "translate")
        rows = self._source_rows(texts)
        check_beam_width(beam_width)
        if not rows:
            return []
        c = self.contract
        special = {k: v[1] for k, v in c["special_tokens"].items()}
        source = np.full((len(rows), max(map(len, rows))), special["source_pad"], np.int32)
        for i, row in enumerate(rows):
            source[i, : len(row)] = row
        encoded = self.run("encoder", {"source_ids": source})
        tokens = self._search(encoded, special, len(c["target_vocabulary"]),
                              c["max_output_length"], beam_width, length_penalty)  # fmt: skip
        return [self._detokenize(row, special) for row in tokens]

    def _search(self, encoded, special, vocab_size, max_length, beam_width, length_penalty):
        """Greedy or beam search over decoder.onnx from the encoder's
        outputs: its state_k start the decoder, the rest are context."""
        inputs = [i.name for i in self.sessions["decoder"].get_inputs()]
        state_names = [n for n in inputs if n.startswith("state_")]
        context = {n: encoded[n] for n in inputs if n != "token_ids" and n not in state_names}

        def step(token_ids, states, context):
            feed = {"token_ids": token_ids, **dict(zip(state_names, states, strict=True))}
            out = self.run("decoder", {**feed, **context})
            return out["logits"], [out[f"next_{n}"] for n in state_names]

        banned = {special[k] for k in ("oov", "pad", "start")}
        decoder = Decoder(step, vocab_size, banned, special["start"], special["end"],
                          special["pad"])  # fmt: skip
        return decoder.decode([encoded[n] for n in state_names], context, max_length,
                              beam_width, length_penalty)  # fmt: skip

    @functools.cached_property
    def _codecs(self):
        """(source encode: str -> ids, target decode: ids -> str), from zoo.json."""
        c = self.contract
        spec = c.get("tokenisation", {"kind": "chars"})
        if spec["kind"] == "subwords":
            source = Subwords(spec, c["source_vocabulary"])
            return source.encode, Subwords(spec, c["target_vocabulary"]).decode
        source, target = (
            CharVocabulary(c["source_vocabulary"]),
            CharVocabulary(c["target_vocabulary"]),
        )
        return source.encode, target.decode

    def _detokenize(self, row, special):
        return self._codecs[1](_kept(row, special))

    def _source_rows(self, texts):
        """Source ids per text, refused (naming the input) as the
        SavedModel refuses them: blank, too many characters or tokens."""
        texts = check_texts(texts)
        # max_text_chars is at most max_input_length; exports before limits lack it.
        limit = self.limits.get("max_text_chars", self.contract["max_input_length"])
        longest = self.contract["max_input_length"]
        blank = self.contract.get("blank_characters", " \t\n\r\f\v")
        encode_text = self._codecs[0]
        rows = []
        for i, text in enumerate(texts):
            if not text.strip(blank):
                raise ValueError(f"input {i} is empty or only whitespace")
            if len(text) > limit:
                raise ValueError(
                    f"input {i} has {len(text)} characters; this model reads at most {limit}"
                )
            rows.append(encode_text(text))
            if not len(rows[-1]):
                raise ValueError(f"input {i} is empty or only whitespace: it has no tokens")
            if len(rows[-1]) > longest:
                raise ValueError(
                    f"input {i} has {len(rows[-1])} tokens; this model reads at most {longest}"
                )
        return rows

    # ---- captioning ------------------------------------------------------------------
    def caption(self, images, beam_width=3, length_penalty=0.0):
        """Captions of uint8 images (a list of HWC arrays of any size;
        greyscale, RGBA and 16-bit converted as zoo.images.as_rgb), as zoo's
        Captioner.caption. Images go through encoder.onnx one at a time
        (each has its own size); decoding runs as one batch."""
        self._expect("caption", "caption")
        check_beam_width(beam_width)
        if isinstance(images, np.ndarray) and images.ndim != 4:
            raise TypeError("caption() takes a list of images; wrap a single image in a list")
        c = self.contract
        most = self.limits.get("max_image_pixels", 4096 * 4096)
        rgb = [as_rgb(image, f"image {i}", c["min_image_side"], most)
               for i, image in enumerate(images)]  # fmt: skip
        if not rgb:
            return []
        return self.captions_of(self.encode_images(rgb), beam_width, length_penalty)

    def encode_images(self, rgb):
        """encoder.onnx's outputs for uint8 (H, W, 3) RGB images, run one at
        a time (each has its own size) and stacked."""
        parts = [self.run("encoder", {"image": image[None]}) for image in rgb]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def captions_of(self, encoded, beam_width=3, length_penalty=0.0):
        """Captions from encode_images' outputs: the decoder alone."""
        c = self.contract
        special = {k: v[1] for k, v in c["special_tokens"].items()}
        tokens = self._search(encoded, special, len(c["vocabulary"]), c["max_length"],
                              beam_width, length_penalty)  # fmt: skip
        words = c["vocabulary"]
        return [" ".join(words[t] for t in _kept(row, special)) for row in tokens]

    # ---- text classifiers --------------------------------------------------------
    def predict_proba(self, texts):
        """P(labels[1]) per text, (N,), as zoo's TextClassifier (for more
        than two labels, (N, classes))."""
        return self._classify(texts)[0]

    def classify(self, texts):
        probs = self.predict_proba(texts)
        labels = self.contract["labels"]
        if probs.ndim == 1:
            return [labels[int(p >= 0.5)] for p in probs]
        return [labels[int(i)] for i in probs.argmax(-1)]

    def explain(self, text):
        """(tokens, weights): what the pooling read in one text."""
        if not isinstance(text, str):
            raise TypeError(f"explain() takes one str, got {type(text).__name__}")
        _, weights, tokens = self._classify([text])
        return tokens[0], weights[0, : len(tokens[0])]

    def tokenizer(self):
        """The model's tokenisation (zoo_runtime.words.Tokenizer), from zoo.json."""
        self._expect("classifier", "tokenizer")
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self.contract)
        return self._tokenizer

    def _classify(self, texts):
        self._expect("classifier", "predict_proba")
        texts = check_texts(texts)
        for i, text in enumerate(texts):
            self._within("max_review_chars", len(text), f"input {i} characters")
        ids, tokens = self.tokenizer().encode(texts)
        if not texts:
            return np.zeros(0, np.float32), np.zeros((0, 0), np.float32), []
        out = self.run("model", {"token_ids": ids})
        return out["probability"], out["weights"], tokens

    # ---- images ---------------------------------------------------------------------
    def stylize(self, image):
        """uint8 HWC RGB image (or NHWC batch) -> stylised uint8, same shape."""
        self._expect("image", "stylize")
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim not in (3, 4) or image.shape[-1] != 3:
            raise ValueError(
                f"stylize() takes uint8 RGB images, HWC or NHWC; got {image.dtype} {image.shape}"
            )
        batch = image[None] if image.ndim == 3 else image
        self._within("max_image_pixels", batch.shape[1] * batch.shape[2], "image pixels")
        out = self.run("model", {"image": batch})["stylized"]
        return out[0] if image.ndim == 3 else out

    def _expect(self, kind, method):
        if self.kind != kind:
            raise TypeError(f"{self.name} is a {self.kind} model; it has no {method}()")


def version_directory(path):
    """`path` itself if it holds zoo.json, else its highest integer version
    (onnx-only versions included)."""
    path = Path(path)
    if (path / SIDECAR).is_file():
        return path
    found = version_folders(path, SIDECAR)
    if not found:
        raise ArtifactError(f"{path} holds no exported model (no {SIDECAR}, no version folders)")
    return found[max(found)]


def read_contract(directory):
    """zoo.json, after checking every ONNX file against its sha256."""
    try:
        contract = json.loads((directory / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read {directory / SIDECAR}: {error}") from error
    digests = contract.get("sha256", {})
    for name in contract.get("onnx") or {}:
        if name not in digests:
            raise ArtifactError(f"{SIDECAR} lists no checksum for {name}")
        try:
            digest = sha256(directory / name)
        except OSError as error:
            raise ArtifactError(f"cannot read {directory / name}: {error}") from error
        if digest != digests[name]:
            raise ArtifactError(f"{directory / name} does not match its sha256 in {SIDECAR}")
    return contract


def _kept(row, special):
    """A decoded row's ids before END, without padding."""
    row = list(row)
    row = row[: row.index(special["end"])] if special["end"] in row else row
    return [t for t in row if t != special["pad"]]


def _kind(sessions, contract):
    if "class" in contract and "inputs" in contract:
        return "tensors"  # any Keras model: OnnxModel.run("model", {input: array})
    if {"encoder", "decoder"} <= set(sessions) and "min_image_side" in contract:
        return "caption"
    if {"encoder", "decoder"} <= set(sessions):
        return "seq2seq"
    if "tokenisation" in contract:
        return "classifier"
    inputs = {i.name for i in sessions["model"].get_inputs()} if "model" in sessions else set()
    if "token_ids" in inputs:
        return "char-lm"
    if "image" in inputs:
        return "image"
    raise ArtifactError(f"unrecognised graphs {sorted(sessions)} with inputs {sorted(inputs)}")
