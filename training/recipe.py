"""Recipe files: TOML in training/recipes/, one per shipped model, holding
every choice that made it (data, architecture, training budget). `task`
picks the defaults: "char-lm" or "seq2seq"."""

import copy
import tomllib
from pathlib import Path

RECIPES = Path(__file__).resolve().parent / "recipes"

# Every key a char-LM recipe may set, with its default.
CHAR_LM_DEFAULTS = {
    "name": None,
    "task": "char-lm",
    "description": "",
    "data": {
        "source": "file",
        "file": "tinyshakespeare.txt",
        "seq_len": 100,
        "batch_size": 64,
    },
    "model": {
        "cell": "lstm",
        "units": 256,
        "num_layers": 1,
        "embedding_dim": 64,
        "cell_options": {},
    },
    "train": {
        "epochs": 20,
        "learning_rate": 2e-3,
        "final_learning_rate": 2e-4,
        "clipnorm": 1.0,
        "seed": 0,
    },
}


# Every key a seq2seq recipe may set, with its default. data.source is
# "dates" (generated here), "tsv" (data.file: source<TAB>target lines) or
# "tfds:<name>" (a supervised tensorflow-datasets translation set).
SEQ2SEQ_DEFAULTS = {
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
    },
    "train": {
        "epochs": 8,
        "learning_rate": 2e-3,
        "final_learning_rate": 2e-4,
        "clipnorm": 1.0,
        "seed": 0,
        "scheduled_sampling": "none",
        "max_sampling": 0.0,
    },
}
# Every key a fast-style recipe may set, with its default. Paths are under
# the data folder (../shared/data or --data-dir).
FAST_STYLE_DEFAULTS = {
    "name": None,
    "task": "fast-style",
    "description": "",
    "data": {
        "style": "",
        "style_size": 256,
        "content": [],
        "validation": [],
        "vgg_weights": "vgg19_notop.weights.h5",
        "crop": 256,
        "batch_size": 4,
        "max_zoom": 2.0,
        "jitter": 0.1,
        # {content pattern: width factor}: undoes a source's squash
        "content_aspect": {},
        # held-out photos (a glob) measured for the card; the first
        # check_photos of them are re-measured by the tests
        "test": "",
        "check_photos": 8,
    },
    "model": {"filters": [32, 64, 128], "residual_blocks": 5, "activation": "tanh"},
    "loss": {
        "content_layer": "block4_conv2",
        "style_layers": {f"block{i}_conv1": 0.2 for i in range(1, 6)},
        "content_weight": 1e-3,
        "style_weight": 1.0,
        "tv_weight": 1e-4,
    },
    "train": {"epochs": 10, "steps_per_epoch": 100, "learning_rate": 1e-3, "seed": 0},
}
# Gatys optimisation: a configuration, measured on one pair for the card.
STYLE_TRANSFER_DEFAULTS = {
    "name": None,
    "task": "style-transfer",
    "description": "",
    "data": {
        "content": "content/chelsea.jpg",
        "style": "styles/wave.jpg",
        "vgg_weights": "vgg19_notop.weights.h5",
        "size": 256,
        "steps": 200,
    },
    "model": {
        "content_layer": "block4_conv2",
        "style_layers": {f"block{i}_conv1": 0.2 for i in range(1, 6)},
        "content_style_ratio": 1e-3,
        "tv_weight": 1e-4,
    },
}
# Every key a sentiment recipe may set, with its default.
SENTIMENT_DEFAULTS = {
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
    },
}
# Every key a captioning recipe may set, with its default.
CAPTION_DEFAULTS = {
    "name": None,
    "task": "caption",
    "description": "",
    "data": {
        "dataset": "flickr8k",
        "vgg_weights": "vgg19_notop.weights.h5",
        "min_count": 5,
        "batch_size": 64,
    },
    "model": {
        "cell": "lstm",
        "units": 512,
        "embedding_dim": 256,
        "attention": "soft",
        "attention_units": 256,
        "memory_dim": 512,
        "dropout": 0.5,
        "attention_penalty": 1.0,
        "max_length": 24,
        "cell_options": {},
    },
    "train": {
        "epochs": 10,
        "learning_rate": 1e-3,
        "final_learning_rate": 5e-5,
        "clipnorm": 5.0,
        "seed": 0,
        "scheduled_sampling": "none",
        "max_sampling": 0.0,
    },
}
DEFAULTS = {
    "caption": CAPTION_DEFAULTS,
    "sentiment": SENTIMENT_DEFAULTS,
    "style-transfer": STYLE_TRANSFER_DEFAULTS,
    "char-lm": CHAR_LM_DEFAULTS,
    "seq2seq": SEQ2SEQ_DEFAULTS,
    "fast-style": FAST_STYLE_DEFAULTS,
}


def recipe_path(name_or_path):
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return path
    return RECIPES / f"{name_or_path}.toml"


def list_recipes():
    return sorted(p.stem for p in RECIPES.glob("*.toml"))


def load_recipe(name_or_path):
    """The recipe as a dict, defaults filled in; unknown keys are errors."""
    path = recipe_path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no recipe {name_or_path!r} ({path}); available: {', '.join(list_recipes())}"
        )
    with open(path, "rb") as f:
        given = tomllib.load(f)
    task = given.get("task", "char-lm")
    if task not in DEFAULTS:
        raise ValueError(f"{path.name}: unknown task {task!r}; known: {sorted(DEFAULTS)}")
    recipe = merge(DEFAULTS[task], given, where=path.name)
    if not recipe["name"]:
        raise ValueError(f"{path.name}: a recipe needs a `name`")
    recipe["path"] = str(path)
    return recipe


def with_epochs(recipe, epochs=None):
    """The recipe with train.epochs overridden (None keeps the recipe's)."""
    return {**recipe, "train": {**recipe["train"], "epochs": epochs or recipe["train"]["epochs"]}}


def merge(defaults, given, where, top=True):
    """Sections ([data], [model], ...) merge key by key; a table inside a
    section (cell_options, style_layers) is a value, replaced whole."""
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        if key not in defaults:
            raise ValueError(f"{where}: unknown key {key!r}; known: {sorted(defaults)}")
        if top and isinstance(defaults[key], dict):
            merged[key] = merge(defaults[key], value, f"{where} [{key}]", top=False)
        else:
            merged[key] = value
    return merged
