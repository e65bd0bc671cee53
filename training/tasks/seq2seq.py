"""Training sequence-to-sequence models (`zoo.models.Seq2Seq`) from a
recipe: pairs from the date generator, Anki/Tatoeba sentence pairs, a
tab-separated file, a tensorflow-datasets translation set, or a user's
own files (`data.files`: TSV pairs or two aligned text files; `zoo train
seq2seq --data FILES`), over characters or subword pieces, batched by
length. `train.fine_tune` starts from a translator as it is."""

import keras
import numpy as np
import tensorflow as tf

from training.core import fit as fitting
from training.core import held_out, own_data, packaging, runner
from training.core.recipe import with_epochs
from training.data import dates, text_data, translation, user_files
from zoo import package_files
from zoo.models import Seq2Seq
from zoo.subwords import SubwordVocabulary
from zoo_runtime.chars import END, PAD, START, CharVocabulary

# Every key a seq2seq recipe may set, with its default. data.source is
# "dates" (generated here), "tsv" (data.file: source<TAB>target lines) or
# "tfds:<name>" (a supervised tensorflow-datasets translation set).
DEFAULTS = {
    "name": None,
    "task": "seq2seq",
    "description": "",
    "data": {
        "source": "dates",
        "file": "",
        "train_pairs": 40000,
        "validation_pairs": 2000,
        "test_pairs": 2000,
        "distract_share": 0.3,
        "distractor_chars": [10, 50],
        "seed": 0,
        "batch_size": 64,
        "buckets": [16, 32, 64, 128],
        # source "anki": English is the target unless from_english; test and
        # validation get test_sources distinct source sentences each.
        "from_english": False,
        "test_sources": 2000,
        # tokenizer "subwords": vocabulary sizes, specials included.
        "source_vocabulary_size": 8000,
        "target_vocabulary_size": 6000,
        # A user's own data (instead of `source`): TSV files, or two aligned files.
        "files": [],
        "validation_files": [],  # none: a seeded validation_share of `files`
        "test_files": [],
        "validation_share": 0.1,
        "source_column": 0,  # TSV columns, counting from 0 (Anki: 0 English, 1 the other)
        "target_column": 1,
        "aligned": False,  # files = [sources, targets], line i of each a pair
    },
    "model": {
        "tokenizer": "chars",  # or "subwords" (zoo.subwords)
        "cell": "gru",
        "units": 128,
        "embedding_dim": 32,
        "attention": "bahdanau",
        "attention_units": 0,
        "readout_dim": 0,  # 0: logits straight from [s_i; c_i]
        "max_input_length": 256,
        "max_output_length": 12,
        "cell_options": {},
        # translate()'s defaults for beam search, chosen on validation:
        # {"length_penalty": alpha, "no_repeat_ngram_size": n}; none: 0 and 0.
        "decoding": {},
    },
    "train": {
        "epochs": 8,
        "learning_rate": 2e-3,
        "final_learning_rate": 2e-4,
        "clipnorm": 1.0,
        "seed": 0,
        "scheduled_sampling": "none",
        "max_sampling": 0.0,
        "fine_tune": "",  # a translator to go on training as it is ([model] is ignored)
        "patience": 0,  # stop after this many epochs without a better val_loss (0: never)
    },
}


class Prepared:
    """A recipe's pairs per split, vocabularies and id arrays."""

    def __init__(self, recipe, data_dir=None, epochs=None):
        d = recipe["data"]
        self.recipe = with_epochs(recipe, epochs)
        self.epochs = self.recipe["train"]["epochs"]
        self.pairs = load_pairs(d, data_dir)
        self.base = own_data.load_base(self.recipe["train"]["fine_tune"], Seq2Seq)
        if self.base is not None:  # fine-tuning keeps the tokens it knows
            self.source, self.target = self.base.source, self.base.target
        else:
            self.source, self.target = vocabularies(self.pairs["train"], d, self.recipe["model"])
        self.train = trainable(self.pairs["train"], self.source, self.target, self.model_options())
        count = len(self.train)
        self.steps = count // d["batch_size"] - len(d["buckets"])  # every epoch fills these
        if self.steps < 1:
            raise ValueError(f"{count} training pairs are too few for batches of {d['batch_size']}")

    def model_options(self):
        """[model] of the recipe, or the fine-tuned base's architecture."""
        return own_data.model_options(self.recipe, self.base)


def load_pairs(d, data_dir=None):
    """{split: [(source, target)]}: generated dates (plus the unseen-format
    and distractor test sets), a TSV file split 90/5/5, TFDS, or a user's
    files."""
    if d["files"]:
        return user_pairs(d)
    if d["source"] == "dates":
        seed, low_high = d["seed"], tuple(d["distractor_chars"])
        mixed = {"distractor": low_high, "distract_share": d["distract_share"]}
        return {
            "train": dates.pairs(d["train_pairs"], seed, **mixed),
            "validation": dates.pairs(d["validation_pairs"], seed + 1, **mixed),
            "test": dates.pairs(d["test_pairs"], seed + 2),
            "test_unseen": dates.pairs(d["test_pairs"], seed + 3, formats=dates.UNSEEN),
            "test_distractor": dates.pairs(
                d["test_pairs"],
                seed + 4,
                distractor=(low_high[1] - 10, low_high[1]),
                distract_share=1.0,
            ),
        }
    if d["source"] == "anki":
        path = text_data.data_dir(data_dir) / d["file"]
        return translation.anki_splits(path, d["from_english"], d["test_sources"], d["seed"])
    if d["source"] == "tsv":
        rows = dates.read_tsv(text_data.data_dir(data_dir) / d["file"])
        a, b = int(len(rows) * 0.9), int(len(rows) * 0.95)
        return {"train": rows[:a], "validation": rows[a:b], "test": rows[b:]}
    if d["source"].startswith("tfds:"):
        return _tfds_pairs(d["source"][5:], data_dir)
    raise ValueError(
        f"unknown seq2seq data source {d['source']!r}: use dates, anki, tsv or tfds:<name>"
    )


def user_pairs(d):
    """The user's pairs as splits, validation held out if not given."""

    def read(paths):
        return user_files.text_pairs(paths, d["source_column"], d["target_column"], d["aligned"])

    splits = {"train": read(d["files"])}
    if d["validation_files"]:
        splits["validation"] = read(d["validation_files"])
    else:
        held = user_files.hold_out(len(splits["train"]), d["validation_share"], d["seed"])
        pairs = splits["train"]
        splits["train"] = [p for p, h in zip(pairs, held, strict=True) if not h]
        splits["validation"] = [p for p, h in zip(pairs, held, strict=True) if h]
    if d["test_files"]:
        splits["test"] = read(d["test_files"])
    return splits


def vocabularies(pairs, d, m):
    """(source, target) vocabularies of the training pairs: every character
    seen, or byte-pair subword pieces up to the recipe's sizes."""
    if m["tokenizer"] == "subwords":
        return (
            SubwordVocabulary.from_texts([s for s, _ in pairs], d["source_vocabulary_size"]),
            SubwordVocabulary.from_texts(
                [t for _, t in pairs], d["target_vocabulary_size"], specials=(PAD, START, END)
            ),
        )
    sources = "".join(s for s, _ in pairs)
    targets = "".join(t for _, t in pairs)
    return (
        CharVocabulary.from_text(sources, specials=(PAD,)),
        CharVocabulary.from_text(targets, specials=(PAD, START, END)),
    )


def trainable(pairs, source, target, m):
    """(source ids, target ids) of the pairs the model can take: at most
    max_input_length source tokens, and the target plus END within
    max_output_length."""
    encoded = [(source.encode(s), target.encode(t)) for s, t in pairs]
    return [
        (s, t)
        for s, t in encoded
        if 0 < len(s) <= m["max_input_length"] and len(t) < m["max_output_length"]
    ]


def _tfds_pairs(name, data_dir):
    import tensorflow_datasets as tfds

    splits = tfds.load(
        name, split=["train", "validation", "test"], as_supervised=True, data_dir=data_dir
    )
    decode = lambda ds: [(a.decode(), b.decode()) for a, b in tfds.as_numpy(ds)]  # noqa: E731
    return dict(zip(("train", "validation", "test"), map(decode, splits), strict=True))


def arrays(encoded, source, target):
    """Padded id arrays of (source ids, target ids) pairs: sources (N, S),
    decoder inputs and targets (N, L), and the lengths of both."""
    src = np.full((len(encoded), max(len(s) for s, _ in encoded)), source.id(PAD), np.int32)
    longest = max(len(t) for _, t in encoded) + 1
    tgt_in = np.full((len(encoded), longest), target.id(PAD), np.int32)
    tgt_out = tgt_in.copy()
    for i, (s, t) in enumerate(encoded):
        src[i, : len(s)] = s
        tgt_in[i, : len(t) + 1] = [target.id(START), *t]
        tgt_out[i, : len(t) + 1] = [*t, target.id(END)]
    lengths = np.array([[len(s), len(t) + 1] for s, t in encoded], np.int32)
    return src, tgt_in, tgt_out, lengths


def batches(encoded, source, target, d, seed=None, epochs=1, start_epoch=0, steps=None):
    """((source ids, decoder inputs), targets) of (source ids, target ids)
    pairs, batched by source length (bucket_by_sequence_length) and padded
    per batch; shuffled per epoch when `seed` is given."""
    if source.id(PAD) != target.id(PAD):
        raise ValueError("batches pad both sides with one id: PAD must have the same id in both")
    src, tgt_in, tgt_out, lengths = (tf.constant(a) for a in arrays(encoded, source, target))

    def example(i):
        i = tf.cast(i, tf.int32)
        n, m = lengths[i, 0], lengths[i, 1]
        return src[i, :n], tgt_in[i, :m], tgt_out[i, :m]

    def batches_of(order):
        examples = order.map(example, num_parallel_calls=tf.data.AUTOTUNE)
        bucketed = text_data.bucket_by_sequence_length(
            examples,
            d["buckets"],
            [d["batch_size"]] * (len(d["buckets"]) + 1),
            pad_id=source.id(PAD),
        )
        bucketed = bucketed.map(lambda s, i, o: ((s, i), o))
        return bucketed.take(steps) if steps else bucketed

    if seed is None:  # one pass, in order; its length told to Keras, which
        # otherwise warns that the data "ran out" after every validation pass
        once = batches_of(tf.data.Dataset.range(len(encoded)))
        count = sum(1 for _ in once)
        return once.apply(tf.data.experimental.assert_cardinality(count))
    return text_data.shuffled_epochs(len(encoded), seed, epochs, start_epoch, batches_of)


def new_model(recipe, source, target):
    m = recipe["model"]
    model = Seq2Seq(
        source.tokens,
        target.tokens,
        cell=m["cell"],
        units=m["units"],
        embedding_dim=m["embedding_dim"],
        attention=m["attention"],
        attention_units=m["attention_units"] or None,
        max_input_length=m["max_input_length"],
        max_output_length=m["max_output_length"],
        cell_options=m["cell_options"],
        seed=recipe["train"]["seed"],
        tokenizer=m["tokenizer"],
        readout_dim=m["readout_dim"],
        output_check=dates.OUTPUT_CHECK if recipe["data"]["source"] == "dates" else None,
        decoding=m["decoding"],
    )
    model.build()
    return model


def blank_model(data):
    """A new model of the run's architecture and vocabularies."""
    if data.base is None:
        return new_model(data.recipe, data.source, data.target)
    return package_files.rebuilt(data.base)


def build_model(data):
    """The model to train, compiled: the fine-tuned base, else a new one;
    the loss is Seq2Seq.compile_defaults' (cross-entropy, PAD ignored)."""
    model = data.base if data.base is not None else new_model(data.recipe, data.source, data.target)
    model.compile(optimizer=fitting.cosine_adam(data.recipe["train"], data.steps))
    return model


UNITS = {"chars": "char", "subwords": "token"}
SCHEDULES = ("none", "linear", "inverse_sigmoid")


def sampling_probability(schedule, epoch, epochs, maximum):
    """Scheduled sampling (Bengio et al. 2015): the chance of feeding the
    model's own prediction at epoch `epoch`, rising from 0 to `maximum`."""
    if schedule == "none":
        return 0.0
    if schedule == "linear":
        return maximum * epoch / max(epochs - 1, 1)
    if schedule == "inverse_sigmoid":  # 1 - k / (k + exp(i / k)), k = epochs / 4
        k = max(epochs / 4, 1e-6)
        return maximum * (1 - k / (k + np.exp(epoch / k)))
    raise ValueError(f"unknown scheduled_sampling {schedule!r}; choose one of {SCHEDULES}")


class ScheduledSampling(keras.callbacks.Callback):
    def __init__(self, schedule, epochs, maximum):
        super().__init__()
        self.schedule, self.epochs, self.maximum = schedule, epochs, maximum

    @classmethod
    def of(cls, data):
        """The callback of a Prepared run's [train] schedule, checked."""
        t = data.recipe["train"]
        sampling_probability(t["scheduled_sampling"], 0, 1, 0.0)  # raises for unknown names
        return cls(t["scheduled_sampling"], data.epochs, t["max_sampling"])

    def on_epoch_begin(self, epoch, logs=None):
        p = sampling_probability(self.schedule, epoch, self.epochs, self.maximum)
        self.model.sampling_probability.assign(p)


def train(recipe, run_dir, data_dir=None, epochs=None, **options):
    """Train `recipe` in `run_dir` (resumable); write the package
    (`runner.run_prepared`'s options). -> (model, card)"""
    data = Prepared(recipe, data_dir, epochs)
    sampling = ScheduledSampling.of(data)  # an unknown schedule fails here, before any work
    return runner.run_prepared(
        data,
        build_model,
        pipelines,
        model_card,
        run_dir,
        unit=f"nats/{UNITS[data.model_options()['tokenizer']]}",
        task_callbacks=[sampling],
        **options,
    )


def pipelines(data, start_epoch):
    """(training batches from start_epoch on, validation batches)."""
    d, seed = data.recipe["data"], data.recipe["train"]["seed"]
    train_batches = batches(
        data.train,
        data.source,
        data.target,
        d,
        seed=seed,
        epochs=data.epochs,
        start_epoch=start_epoch,
        steps=data.steps,
    )
    held_out = trainable(data.pairs["validation"], data.source, data.target, data.model_options())
    return train_batches, batches(held_out, data.source, data.target, d)


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """The package of a finished run, from its best weights; no training."""
    data = Prepared(recipe, data_dir, epochs)
    return packaging.package_prepared(blank_model(data), data, model_card, run_dir, publish_to)


def exact_match(model, pairs, beam_width=1):
    outputs = model.translate([s for s, _ in pairs], beam_width=beam_width)
    return float(np.mean([o == t for o, (_, t) in zip(outputs, pairs, strict=True)]))


def metrics(data, model):
    """Translation: BLEU / chrF on test (greedy and beam 5) and validation.
    A user's files: BLEU, chrF and exact outputs on validation (and test).
    Other sources: the share of exact outputs on every test split."""
    if data.recipe["data"]["files"]:
        return {
            f"{split}_{k}": v
            for split in ("validation", "test")
            if split in data.pairs
            for k, v in {
                **translation.evaluate(model, data.pairs[split]),
                "exact_match": round(exact_match(model, data.pairs[split]), 4),
            }.items()
        } | {
            "evaluation": "sacrebleu corpus BLEU and chrF (all targets of a source count), "
            "and the share of outputs equal to the target; greedy decoding"
        }
    if data.recipe["data"]["source"] != "anki":
        tests = [split for split in data.pairs if split.startswith("test")]
        return {
            **{
                f"{split}_exact_match": round(exact_match(model, data.pairs[split]), 4)
                for split in tests
            },
            "evaluation": "share of outputs equal to the target string, greedy decoding",
        }
    test, validation = data.pairs["test"], data.pairs["validation"]
    return {
        **{f"test_{k}": v for k, v in translation.evaluate(model, test).items()},
        **{f"test_{k}_beam5": v for k, v in translation.evaluate(model, test, 5).items()},
        **{f"validation_{k}": v for k, v in translation.evaluate(model, validation).items()},
        "evaluation": "sacrebleu corpus BLEU and chrF (defaults: 13a tokenisation, chrF2) of "
        "the detokenised translations of each distinct source sentence, against all of its "
        "English translations in the file; greedy decoding unless marked beam5 (beam 5, the "
        f"model's length penalty: {model.DECODING['length_penalty']})",
    }


def model_card(data, model, history, distribute, mixed_precision):
    recipe = data.recipe
    card = packaging.common_card(recipe, model, history, data.steps, distribute, mixed_precision)
    if recipe["data"]["files"]:
        return {
            **card,
            "description": card["description"] or "Translator trained on the user's files",
            "recipe": own_data.applied_recipe(card["recipe"], SHIPPED_KEYS, data.model_options()),
            "dataset": own_data.dataset_card(recipe["data"], data.pairs),
            "metrics": metrics(data, model),
            "architecture": {"class": "zoo.models.Seq2Seq", **data.model_options()},
            **own_data.base_card(data.base),
        }
    source = recipe["data"]["source"]
    dataset = {
        "source": source,
        "splits": {split: len(pairs) for split, pairs in data.pairs.items()},
        "split_rule": SPLIT_RULES.get(source, "train/validation/test"),
    }
    if source == "anki":
        dataset.update(
            name=translation.ANKI_NAME,
            file=recipe["data"]["file"],
            terms=translation.ANKI_TERMS,
            trained_pairs=len(data.train),
        )
    return {
        **card,
        "dataset": dataset,
        "metrics": metrics(data, model),
        "architecture": {"class": "zoo.models.Seq2Seq", **recipe["model"]},
    }


# [data] keys of the shipped sources, left off a user-data card's recipe.
SHIPPED_KEYS = (
    "source",
    "file",
    "train_pairs",
    "validation_pairs",
    "test_pairs",
    "distract_share",
    "distractor_chars",
    "from_english",
    "test_sources",
)
SPLIT_RULES = {
    "dates": "generated from seeds: train seed, validation seed+1, test seed+2 (training "
    "formats), test_unseen seed+3 (formats never seen in training), test_distractor "
    "seed+4 (every date inside long filler text)",
    "tsv": "file order: first 90% train, next 5% validation, last 5% test",
    "anki": "by source sentence: a seeded permutation of the distinct source sentences gives "
    "test_sources for test, as many for validation, the rest for train, each with all its "
    "pairs (so no test or validation sentence is trained on); training drops pairs over the "
    "model's token limits",
}


def summary(card):
    scores = ", ".join(
        f"{k} {v:.4f}" if k.endswith("match") else f"{k} {v:.2f}"
        for k, v in card["metrics"].items()
        if k.endswith(("match", "bleu", "chrf", "beam5"))
    )
    return f"{card['name']}: {scores}"


JUDGED = 400  # test sources the int8 gate translates


def held_out_judge(model, recipe, data_dir=None):
    """The int8 gate's measure (training.core.held_out), greedy: the share
    of exact outputs (%) for generated data (dates), BLEU for sentences,
    on the test split's first JUDGED sources the model accepts."""
    pairs = load_pairs(recipe["data"], data_dir)["test"]
    if recipe["data"]["source"] == "dates" and not recipe["data"]["files"]:
        pairs = pairs[:JUDGED]
        return held_out.Judge(
            f"the first {len(pairs)} test pairs, greedy",
            {"exact_match": (True, held_out.POINTS)},
            lambda m: {"exact_match": 100 * exact_match(m, pairs)},
        )
    sources, refs = translation.references(pairs)
    fits = [0 < len(model.source.encode(s)) <= model.max_input_length for s in sources]
    kept = [i for i, ok in enumerate(fits) if ok][:JUDGED]
    sources, refs = [sources[i] for i in kept], [refs[i] for i in kept]
    return held_out.Judge(
        f"the first {len(sources)} distinct test sources, greedy, sacrebleu",
        {"bleu": (True, held_out.POINTS)},
        lambda m: {"bleu": translation.scores(m.translate(sources), refs)["bleu"]},
    )
