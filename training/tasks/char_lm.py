"""Training character language models (`zoo.models.CharLM`) from a recipe
(Tiny Shakespeare, or a user's own UTF-8 text files: `data.files`, `zoo
train char-lm --data FILES`), and writing the result as a model package
with its card. `train.fine_tune` starts from a language model as it is."""

import math

import keras

from training.core import fit as fitting
from training.core import held_out, own_data, packaging, runner
from training.core.recipe import with_epochs
from training.core.streaming import Streaming
from training.data import text_data, user_files
from zoo import package_files
from zoo.models import CharLM
from zoo_runtime.chars import CharVocabulary

# Every key a char-LM recipe may set, with its default.
DEFAULTS = {
    "name": None,
    "task": "char-lm",
    "description": "",
    "data": {
        "source": "file",
        "file": "tinyshakespeare.txt",
        "seq_len": 100,
        "batch_size": 64,
        # Truncated BPTT: each batch row continues the row before it, and the
        # model's states carry across batches (training.core.streaming).
        # false: independent windows, each from a zero state.
        "stream": False,
        # A user's own text (instead of `file`): any UTF-8 files, joined by newlines.
        "files": [],
        "validation_files": [],  # none: the last validation_share of the text
        "test_files": [],
        "validation_share": 0.1,
    },
    "model": {
        "cell": "lstm",
        "units": 256,
        "num_layers": 1,
        "embedding_dim": 64,
        "cell_options": {},
        "output_dropout": 0.0,  # dropout on the recurrent outputs while training
    },
    "train": {
        "epochs": 20,
        "learning_rate": 2e-3,
        "final_learning_rate": 2e-4,
        "clipnorm": 1.0,
        "seed": 0,
        "fine_tune": "",  # a language model to go on training as it is ([model] is ignored)
        "patience": 0,  # stop after this many epochs without a better val_loss (0: never)
    },
}


def corpus_path(data, data_dir):
    """The corpus file for source "file"; TFDS' download folder (None =
    its default) for source "tfds"."""
    if data["source"] == "tfds":
        return data_dir
    return text_data.data_dir(data_dir) / data["file"]


def new_model(recipe, vocabulary):
    m = recipe["model"]
    model = CharLM(
        vocabulary.tokens,
        cell=m["cell"],
        units=m["units"],
        num_layers=m["num_layers"],
        embedding_dim=m["embedding_dim"],
        cell_options=m["cell_options"],
        output_dropout=m["output_dropout"],
    )
    model.build()
    return model


def blank_model(data):
    """A new model of the run's architecture and vocabulary."""
    if data.base is None:
        return new_model(data.recipe, data.vocabulary)
    return package_files.rebuilt(data.base)


def build_model(data):
    """What fit trains: a CharLM (the fine-tuned base, else a new one), or
    for a streaming recipe the CharLM inside `Streaming`, compiled with
    Adam, cosine learning-rate decay over the whole run and gradient-norm
    clipping, and the cross-entropy of the next character."""
    model = data.base if data.base is not None else new_model(data.recipe, data.vocabulary)
    optimizer = fitting.cosine_adam(data.recipe["train"], data.steps)
    if not data.recipe["data"]["stream"]:
        model.compile(optimizer=optimizer)  # CharLM.compile_defaults' loss
        return model
    trained = Streaming(model, data.recipe["data"]["batch_size"])
    trained.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return trained


def train(recipe, run_dir, data_dir=None, epochs=None, distribute="none", **options):
    """Train `recipe` in `run_dir` (resuming if a backup is there); write
    the package to run_dir/model (and to `publish_to`): `runner.run_prepared`'s
    options. Returns (model, card)."""
    data = Prepared(recipe, data_dir, epochs)
    stream = data.recipe["data"]["stream"]
    if stream and distribute != "none":
        raise ValueError(
            "data.stream carries each batch row's state to the next batch on one device; "
            "train a streaming recipe with distribute='none'"
        )
    return runner.run_prepared(
        data,
        build_model,
        pipelines,
        model_card,
        run_dir,
        unit="nats/char",
        distribute=distribute,
        kept=(lambda trained: trained.lm) if stream else None,
        **options,
    )


def pipelines(data, start_epoch):
    """(training batches from start_epoch on, validation batches): shuffled
    windows from a zero state, or for a streaming recipe, streams (the
    validation split's from offset 0 in every epoch)."""
    d, ids, seed = data.recipe["data"], data.ids, data.recipe["train"]["seed"]
    shape = d["seq_len"], d["batch_size"]
    if d["stream"]:
        return (
            text_data.stream_batches(ids["train"], *shape, seed, data.epochs, start_epoch),
            text_data.stream_batches(ids["validation"], *shape, offset=False),
        )
    return (
        text_data.training_batches(ids["train"], *shape, seed, data.epochs, start_epoch),
        text_data.evaluation_batches(ids["validation"], *shape),
    )


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """Write the package of a finished run from its best weights and
    history, without training (e.g. after changing what a card holds)."""
    data = Prepared(recipe, data_dir, epochs)
    return packaging.package_prepared(blank_model(data), data, model_card, run_dir, publish_to)


class Prepared:
    """A recipe's corpus, vocabulary, token ids per split and step counts."""

    def __init__(self, recipe, data_dir, epochs):
        d = recipe["data"]
        self.recipe = with_epochs(recipe, epochs)
        self.epochs = self.recipe["train"]["epochs"]
        if d["files"]:
            self.corpus = user_corpus(d)
        else:
            self.corpus = text_data.load_corpus(d["source"], corpus_path(d, data_dir))
        self.base = own_data.load_base(self.recipe["train"]["fine_tune"], CharLM)
        if self.base is not None:  # fine-tuning keeps the characters it knows
            self.vocabulary = CharVocabulary(self.base.vocabulary)
        else:
            self.vocabulary = CharVocabulary.from_text(self.corpus["train"])
        self.ids = {split: self.vocabulary.encode(text) for split, text in self.corpus.items()}
        windows = text_data.window_count(self.ids["train"], d["seq_len"])
        self.steps = windows // d["batch_size"]
        if d["stream"]:
            self.steps = text_data.stream_steps(
                len(self.ids["train"]), d["seq_len"], d["batch_size"]
            )
        if self.steps < 1:
            raise ValueError(
                f"the train split has {windows} windows of {d['seq_len']}, fewer than one "
                f"batch of {d['batch_size']}: use a longer text or a smaller batch_size"
            )

    def model_options(self):
        """[model] of the recipe, or the fine-tuned base's architecture."""
        return own_data.model_options(self.recipe, self.base)


def user_corpus(d):
    """{split: text} of the user's files: validation the files given, else
    the text's last validation_share (one stream, so cut, not drawn)."""

    def read(paths):
        return "\n".join(user_files.read_text(path) for path in paths)

    text = read(d["files"])
    if d["validation_files"]:
        corpus = {"train": text, "validation": read(d["validation_files"])}
    else:
        cut = int(len(text) * (1 - d["validation_share"]))
        corpus = {"train": text[:cut], "validation": text[cut:]}
    if d["test_files"]:
        corpus["test"] = read(d["test_files"])
    for split, part in corpus.items():
        if len(part) <= d["seq_len"]:
            raise ValueError(
                f"the {split} text has {len(part)} characters; it needs more than one window "
                f"of {d['seq_len']}"
            )
    return corpus


CHECK_CHARS = 5577  # the test split's first tenth: what CI re-measures


def split_metrics(model, text):
    nats = model.nats_per_char(text)
    return {"nats_per_char": round(nats, 4), "bits_per_char": round(nats / math.log(2), 4)}


def model_card(data, model, history, distribute, mixed_precision):
    recipe, corpus, d = data.recipe, data.corpus, data.recipe["data"]
    card = packaging.common_card(recipe, model, history, data.steps, distribute, mixed_precision)
    if d["files"]:
        return {
            **card,
            "description": card["description"] or "Character language model of the user's text",
            "recipe": own_data.applied_recipe(
                card["recipe"], ("source", "file"), data.model_options()
            ),
            "dataset": own_data.dataset_card(
                d, corpus, f"the last {d['validation_share']:.0%} of the text", unit="characters"
            ),
            "metrics": {
                **{
                    split: split_metrics(model, corpus[split])
                    for split in corpus
                    if split != "train"
                },
                "evaluation": "each split read as one stream from a zero state",
            },
            "architecture": {"class": "zoo.models.CharLM", **data.model_options()},
            **own_data.base_card(data.base),
        }
    return {
        **card,
        "dataset": {
            "name": "tiny_shakespeare",
            "source": d["source"] if d["source"] == "tfds" else d["file"],
            "splits": {split: len(text) for split, text in corpus.items()},
            "split_rule": "tensorflow-datasets tiny_shakespeare: first 90% train, "
            "next 5% validation, last 5% test",
        },
        "metrics": {
            "test": split_metrics(model, corpus["test"]),
            "validation": split_metrics(model, corpus["validation"]),
            "test_check": split_metrics(model, corpus["test"][:CHECK_CHARS]),
            "evaluation": "each split read as one stream from a zero state; every "
            "character but the first predicted from all the text before it; "
            f"test_check = the test split's first {CHECK_CHARS:,} characters (what CI "
            "re-measures)",
        },
        "architecture": {
            "class": "zoo.models.CharLM",
            **recipe["model"],
            "vocabulary_size": len(model.vocabulary),
        },
    }


def summary(card):
    split = "test" if "test" in card["metrics"] else "validation"
    scores = card["metrics"][split]
    return (
        f"{card['name']}: {split} {scores['nats_per_char']:.4f} nats/char "
        f"({scores['bits_per_char']:.4f} bits/char)"
    )


def held_out_judge(model, recipe, data_dir=None):
    """The int8 gate's measure (training.core.held_out): nats per character
    on what CI re-measures, the test split's first CHECK_CHARS."""
    d = recipe["data"]
    corpus = (
        user_corpus(d)
        if d["files"]
        else text_data.load_corpus(d["source"], corpus_path(d, data_dir))
    )
    split = "test" if "test" in corpus else "validation"
    text = corpus[split][:CHECK_CHARS]
    return held_out.Judge(
        f"the first {len(text):,} characters of the {split} split",
        {"nats_per_char": (False, held_out.NATS)},
        lambda m: {"nats_per_char": m.nats_per_char(text)},
    )
