"""Training text classifiers (`zoo.models.TextClassifier`) from a recipe:
IMDB or SST-2 from ../shared/data, or a user's own CSV/TSV/JSONL files
(`data.files`, any number of labels; `zoo train sentiment --data FILE`),
tokenised by the model's own contract (zoo.words), batched by length
(bucket_by_sequence_length). `train.fine_tune` starts from a classifier
as it is (its vocabulary and architecture kept)."""

import csv
import gzip
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from training.core import fit as fitting
from training.core import held_out, own_data, packaging, runner
from training.core.recipe import with_epochs
from training.data import text_data, user_files
from zoo import package_files
from zoo.models import TextClassifier
from zoo.models.text_classifier import label_ids
from zoo.words import WordVocabulary, tokenize, truncate

# Every key a sentiment recipe may set, with its default.
DEFAULTS = {
    "name": None,
    "task": "sentiment",
    "description": "",
    "data": {
        "dataset": "imdb",
        "phrases": False,
        "vocabulary_size": 20000,
        "min_count": 2,
        "batch_size": 64,
        "buckets": [50, 100, 150, 200, 250, 300, 400],
        "seed": 0,
        # A user's own data (instead of `dataset`): tables with a text and a label column.
        "files": [],
        "validation_files": [],  # none: a seeded validation_share of `files`
        "test_files": [],
        "validation_share": 0.1,
        "text_column": "text",
        "label_column": "label",
        "label_map": {},  # file label -> model label, e.g. {"0": "negative"}
    },
    "model": {
        "cell": "gru",
        "units": 64,
        "embedding_dim": 128,
        "pooling": "attention+max",
        "attention_units": 64,
        "embedding_dropout": 0.2,
        "dropout": 0.3,
        "max_tokens": 512,
        "head_tokens": 128,
        "cell_options": {},
    },
    "train": {
        "epochs": 6,
        "learning_rate": 2e-3,
        "final_learning_rate": 1e-4,
        "clipnorm": 1.0,
        "seed": 0,
        "init_from": "",  # a classifier (shipped name or package) to start from
        "fine_tune": "",  # a classifier to go on training as it is ([model] is ignored)
        "new_head": False,  # fine_tune to another label set: a new head
        "patience": 0,  # stop after this many epochs without a better val_loss (0: never)
    },
}

# Where each data set's splits come from, and its terms (for the card).
DATASETS = {
    "imdb": {
        "files": {"train": "imdb/train.csv.gz", "test": "imdb/test.csv.gz"},
        "name": "Large Movie Review Dataset (IMDB), Maas et al. 2011",
        "terms": "research use; cite Maas et al., ACL 2011",
        "split_rule": "the original 25,000 / 25,000 train/test split; validation is 2,500 "
        "training reviews drawn with the recipe's seed (not trained on)",
    },
    "sst2": {
        "files": {
            "train": "sst2/train.csv.gz",
            "validation": "sst2/dev.csv.gz",
            "test": "sst2/test.csv.gz",
            "phrases": "sst2/glue_phrases_train.csv.gz",
        },
        "name": "Stanford Sentiment Treebank, binary sentences (SST-2), Socher et al. 2013",
        "terms": "research use; cite Socher et al., EMNLP 2013",
        "split_rule": "the standard 6,920 / 872 / 1,821 sentence split; training adds GLUE's "
        "67,349 phrases of the training sentences when data.phrases is true",
    },
}
CROSS_DOMAIN = {
    "file": "rt_polarity/sentences.csv.gz",
    "name": "Rotten Tomatoes sentence polarity v1.0 (Pang & Lee 2005), all 10,662 sentences",
    "terms": "CC BY 4.0 (NLTK's sentence_polarity corpus)",
}
VALIDATION_SHARE = 0.1
DEFAULT_LABELS = ("negative", "positive")  # IMDB's and SST-2's 0 and 1
EVALUATED = ("validation", "test", "cross_domain", "cross_domain_unseen")


def read_csv(path):
    """(texts, labels int32) of a `label,...,text` CSV (gzip)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows], np.int32)


def load_splits(d, data_dir=None):
    """{split: (texts, labels)} for train, validation, test and cross_domain
    (a user's files: train, validation and, if given, test; labels by name)."""
    if d["files"]:
        return user_splits(d)
    if d["dataset"] not in DATASETS:
        raise ValueError(f"unknown dataset {d['dataset']!r}; known: {sorted(DATASETS)}")
    root = text_data.data_dir(data_dir)
    files = DATASETS[d["dataset"]]["files"]
    for path in [*files.values(), CROSS_DOMAIN["file"]]:
        if not (root / path).is_file():
            raise FileNotFoundError(
                f"{root / path} not found: pass --data-dir (or set ZOO_DATA_DIR) to the shared "
                "data folder"
            )
    splits = {name: read_csv(root / path) for name, path in files.items()}
    if "validation" not in splits:  # a seeded share of train, held out
        splits["train"], splits["validation"] = hold_out(*splits["train"], d["seed"])
    phrases = splits.pop("phrases", None)
    if phrases is not None and d["phrases"]:
        splits["train"] = (
            splits["train"][0] + phrases[0],
            np.concatenate([splits["train"][1], phrases[1]]),
        )
    seen = [t for texts, _ in splits.values() for t in texts]
    if phrases is not None:  # seen whether trained on or not
        seen += phrases[0]
    rotten = read_csv(root / CROSS_DOMAIN["file"])
    splits["cross_domain_unseen"] = _unseen(rotten, seen)
    splits["cross_domain"] = rotten
    return splits


def user_splits(d):
    """The user's tables as splits, validation held out if not given."""

    def read(paths):
        texts, labels = user_files.labelled_texts(
            paths, d["text_column"], d["label_column"], d["label_map"]
        )
        return texts, np.array(labels)

    texts, labels = read(d["files"])
    splits = {"train": (texts, labels)}
    if d["validation_files"]:
        splits["validation"] = read(d["validation_files"])
    else:
        splits["train"], splits["validation"] = hold_out(
            *splits["train"], d["seed"], d["validation_share"]
        )
    if d["test_files"]:
        splits["test"] = read(d["test_files"])
    found = sorted(set(splits["train"][1].tolist()))
    if len(found) < 2:
        raise ValueError(
            f"every training row of {', '.join(d['files'])} has the label {found[0]!r}: "
            "a classifier needs at least two labels"
        )
    return splits


def _unseen(pairs, texts):
    """The (text, label) pairs whose tokens match those of none of `texts`:
    SST-2 was cut from the same Rotten Tomatoes reviews, so about half of
    those sentences are SST-2 sentences or phrases."""
    seen = {tuple(tokenize(t)) for t in texts}
    keep = np.array([tuple(tokenize(t)) not in seen for t in pairs[0]], bool)
    return [t for t, k in zip(pairs[0], keep, strict=True) if k], pairs[1][keep]


def hold_out(texts, labels, seed, share=VALIDATION_SHARE):
    """(kept, held out): `share` of the rows, drawn with `seed`."""
    held = user_files.hold_out(len(texts), share, seed)
    part = lambda mask: ([t for t, m in zip(texts, mask, strict=True) if m], labels[mask])  # noqa: E731
    return part(~held), part(held)


class Prepared:
    """A recipe's splits, label set, vocabulary and training ids."""

    def __init__(self, recipe, data_dir=None, epochs=None):
        self.recipe = with_epochs(recipe, epochs)
        self.epochs = self.recipe["train"]["epochs"]
        d, t = recipe["data"], recipe["train"]
        self.splits = load_splits(d, data_dir)
        self.base = own_data.load_base(t["fine_tune"], TextClassifier)
        self.label_set = self._label_set()
        texts, labels = self.splits["train"]
        tokens = [tokenize(t) for t in texts]  # once, for the vocabulary and the ids
        if self.base is not None:  # fine-tuning keeps the words it knows
            self.vocabulary = WordVocabulary(self.base.vocabulary)
        else:
            self.vocabulary = WordVocabulary.from_tokens(
                tokens, d["vocabulary_size"], d["min_count"]
            )
        self.labels = label_ids(labels, self.label_set)
        self.ids = [self._ids(items) for items in tokens]
        self.steps = len(texts) // d["batch_size"]
        if self.steps == 0:
            raise ValueError(
                f"{len(texts)} training rows make no batch of {d['batch_size']}: "
                "add rows or lower --batch-size"
            )

    def _label_set(self):
        """The model's labels: the base's, else those of a user's files
        (sorted), else IMDB/SST-2's."""
        found = sorted(set(self.splits["train"][1].tolist()))
        if self.base is not None:
            if self.recipe["train"]["new_head"]:
                return found
            if not set(found) <= set(self.base.labels):
                raise ValueError(
                    f"the data's labels {found} are not {self.base.card['name']}'s "
                    f"{self.base.labels}: map them (--label-map 0={self.base.labels[0]},...) "
                    "or train a new head for them (--new-head)"
                )
            return self.base.labels
        if self.recipe["data"]["files"]:
            return found
        return list(DEFAULT_LABELS)

    def ids_of(self, texts):
        """Each text's ids, truncated as the model truncates, unpadded."""
        return [self._ids(tokenize(t)) for t in texts]

    def _ids(self, tokens):
        m = self.model_options()
        return self.vocabulary.ids(truncate(tokens, m["max_tokens"], m["head_tokens"]))

    def model_options(self):
        """[model] of the recipe, or the fine-tuned base's architecture."""
        return own_data.model_options(self.recipe, self.base)


def batches(ids, labels, d, seed=None, epochs=1, start_epoch=0):
    """(ids, labels) batches of similar lengths (bucket_by_sequence_length),
    padded with 0 to their longest; shuffled per epoch when `seed` is given."""
    lengths = np.array([len(x) for x in ids], np.int64)
    flat = tf.RaggedTensor.from_row_lengths(np.concatenate([*ids, np.zeros(0, np.int32)]), lengths)
    labels = tf.constant(labels)  # float 0/1 for two labels, else class indices

    def batches_of(order):
        examples = order.map(lambda i: (flat[i], labels[i]), num_parallel_calls=tf.data.AUTOTUNE)
        return text_data.bucket_by_sequence_length(
            examples, d["buckets"], [d["batch_size"]] * (len(d["buckets"]) + 1)
        )

    if seed is None:
        once = batches_of(tf.data.Dataset.range(len(ids)))
        return once.apply(tf.data.experimental.assert_cardinality(sum(1 for _ in once)))
    return text_data.shuffled_epochs(len(ids), seed, epochs, start_epoch, batches_of)


def new_model(recipe, vocabulary, labels=DEFAULT_LABELS):
    m = recipe["model"]
    model = TextClassifier(
        vocabulary.tokens,
        labels=labels,
        cell=m["cell"],
        units=m["units"],
        embedding_dim=m["embedding_dim"],
        pooling=m["pooling"],
        attention_units=m["attention_units"],
        embedding_dropout=m["embedding_dropout"],
        dropout=m["dropout"],
        max_tokens=m["max_tokens"],
        head_tokens=m["head_tokens"],
        cell_options=m["cell_options"],
    )
    model.build()
    return model


def transfer(model, source):
    """Start `model` from the classifier `source` (a shipped name or a
    package directory) of the same architecture: every layer copied, and
    the embedding row of each word the two vocabularies share."""
    source = own_data.load_base(source, TextClassifier)
    keys = ("cell", "units", "embedding_dim", "pooling", "attention_units", "labels")
    config, theirs = model.get_config(), source.get_config()
    if any(config[k] != theirs[k] for k in keys):
        raise ValueError(f"init_from: {source.card['name']} differs in one of {keys}")
    for mine, its in (
        (model.encoder, source.encoder),
        (model.attention, source.attention),
        (model.head, source.head),
    ):
        if mine is not None:
            mine.set_weights(its.get_weights())
    rows = keras.ops.convert_to_numpy(model.embedding.embeddings).copy()
    known = keras.ops.convert_to_numpy(source.embedding.embeddings)
    index = {t: i for i, t in enumerate(source.vocabulary)}
    shared = [(i, index[t]) for i, t in enumerate(model.vocabulary) if t in index]
    mine_ids, its_ids = (np.array(x) for x in zip(*shared, strict=True))
    rows[mine_ids] = known[its_ids]
    model.embedding.embeddings.assign(rows)
    return len(shared)


def blank_model(data):
    """A new model of the run's architecture and labels (for its weights)."""
    if data.base is None:
        return new_model(data.recipe, data.vocabulary, data.label_set)
    return package_files.rebuilt(data.base, labels=list(data.label_set))


def build_model(data):
    """The model to train, compiled: the fine-tuned base (a new head if its
    labels differ), else a new one, started from init_from if set."""
    t = data.recipe["train"]
    if data.base is not None:
        base = data.base
        model = base if base.labels == data.label_set else base.with_labels(data.label_set)
    else:
        model = new_model(data.recipe, data.vocabulary, data.label_set)
        if t["init_from"]:
            transfer(model, t["init_from"])
    # the family's loss and accuracy (TextClassifier.compile_defaults)
    model.compile(optimizer=fitting.cosine_adam(t, data.steps))
    return model


def train(recipe, run_dir, data_dir=None, epochs=None, **options):
    """Train `recipe` in `run_dir` (resumable); write the package
    (`runner.run_prepared`'s options). -> (model, card)"""
    data = Prepared(recipe, data_dir, epochs)
    return runner.run_prepared(
        data,
        build_model,
        pipelines,
        model_card,
        run_dir,
        unit="cross-entropy",
        **options,
    )


def pipelines(data, start_epoch):
    """(training batches from start_epoch on, validation batches)."""
    d, seed = data.recipe["data"], data.recipe["train"]["seed"]
    train_batches = batches(data.ids, data.labels, d, seed, data.epochs, start_epoch)
    texts, labels = data.splits["validation"]
    return train_batches, batches(data.ids_of(texts), label_ids(labels, data.label_set), d)


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """The package of a finished run, from its best weights; no training."""
    data = Prepared(recipe, data_dir, epochs)
    return packaging.package_prepared(blank_model(data), data, model_card, run_dir, publish_to)


# CI re-measures every CHECK_EVERY-th test text against the card; the whole
# test split is `python -m benchmarks.sentiment cards`.
CHECK_EVERY = 10


def check_subset(*columns):
    """Every CHECK_EVERY-th item of each column, e.g. (texts, labels)."""
    return tuple(list(column)[::CHECK_EVERY] for column in columns)


def correct(model, texts, labels):
    """Per text: is the likeliest label the given one (a name or an index)?"""
    given = np.asarray(labels)
    if given.dtype.kind not in "USO":
        given = np.asarray(model.labels)[given.astype(int)]
    return np.asarray(model.classify(texts)) == given


def accuracy(model, texts, labels):
    return float(np.mean(correct(model, texts, labels)))


def model_card(data, model, history, distribute, mixed_precision):
    recipe = data.recipe
    card = packaging.common_card(recipe, model, history, data.steps, distribute, mixed_precision)
    if recipe["data"]["files"]:
        dataset, metrics = user_data_card(data, model)
        card["recipe"] = own_data.applied_recipe(
            card["recipe"], ("dataset", "phrases"), data.model_options()
        )
        card["description"] = card["description"] or (
            f"Text classifier ({', '.join(data.label_set)}) trained on "
            f"{', '.join(Path(f).name for f in recipe['data']['files'])}"
        )
    else:
        dataset, metrics = shipped_data_card(data, model)
    options = data.model_options()
    return {
        **card,
        "dataset": dataset,
        "metrics": metrics,
        "tokenisation": "zoo.words: ASCII lower case, <br /> removed, n't split, word / "
        f"clitic / punctuation tokens; over {options['max_tokens']} tokens, the first "
        f"{options['head_tokens']} and the last "
        f"{options['max_tokens'] - options['head_tokens']} are kept",
        "architecture": {"class": "zoo.models.TextClassifier", **options},
        **own_data.base_card(data.base),
    }


def shipped_data_card(data, model):
    """IMDB's or SST-2's description, and accuracy on every split."""
    dataset = DATASETS[data.recipe["data"]["dataset"]]
    hits = {split: correct(model, *data.splits[split]) for split in EVALUATED}
    hits["test_check"] = check_subset(hits["test"])[0]  # the test pass, subsampled
    metrics = {f"{split}_accuracy": round(float(np.mean(h)), 4) for split, h in hits.items()}
    described = {
        "name": dataset["name"],
        "files": dataset["files"],
        "terms": dataset["terms"],
        "splits": {split: len(texts) for split, (texts, _) in data.splits.items()},
        "split_rule": dataset["split_rule"],
        "cross_domain": CROSS_DOMAIN,
    }
    return described, {
        **metrics,
        "evaluation": "share of texts whose P(positive) >= 0.5 agrees with the label; "
        "test = the whole test split; cross_domain = all Rotten Tomatoes sentences, "
        "cross_domain_unseen = those whose tokens equal no text of this data set; "
        f"test_check = every {CHECK_EVERY}th text of the test split (what CI re-measures)",
    }


def user_data_card(data, model):
    """The user's files, row counts, labels and split; accuracy on the
    user's validation (and test) split only: no claim about other data."""
    d = data.recipe["data"]
    train_labels = data.splits["train"][1].tolist()
    metrics = {
        f"{split}_accuracy": round(accuracy(model, *data.splits[split]), 4)
        for split in ("validation", "test")
        if split in data.splits
    }
    described = own_data.dataset_card(
        d,
        {split: texts for split, (texts, _) in data.splits.items()},
        columns={"text": d["text_column"], "label": d["label_column"]},
        labels={label: train_labels.count(label) for label in data.label_set},
    )
    return described, {
        **metrics,
        "evaluation": "share of texts whose likeliest label is the given one",
    }


def summary(card):
    scores = ", ".join(f"{k} {v:.4f}" for k, v in card["metrics"].items() if k.endswith("accuracy"))
    return f"{card['name']}: {scores}"


def held_out_judge(model, recipe, data_dir=None):
    """The int8 gate's measure (training.core.held_out): accuracy in % on
    what CI re-measures, every CHECK_EVERY-th test text."""
    splits = load_splits(recipe["data"], data_dir)
    split = "test" if "test" in splits else "validation"
    texts, labels = check_subset(*splits[split])
    return held_out.Judge(
        f"every {CHECK_EVERY}th text of the {split} split ({len(texts):,} texts)",
        {"accuracy": (True, held_out.POINTS)},
        lambda m: {"accuracy": 100 * accuracy(m, texts, labels)},
    )
