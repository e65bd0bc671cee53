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
    },
    "model": {
        "cell": "gru",
        "units": 128,
        "embedding_dim": 32,
        "attention": "bahdanau",
        "attention_units": 0,
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
DEFAULTS = {"char-lm": CHAR_LM_DEFAULTS, "seq2seq": SEQ2SEQ_DEFAULTS}


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


def merge(defaults, given, where):
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        if key not in defaults:
            raise ValueError(f"{where}: unknown key {key!r}; known: {sorted(defaults)}")
        if isinstance(defaults[key], dict) and defaults[key]:
            merged[key] = merge(defaults[key], value, f"{where} [{key}]")
        else:
            merged[key] = value
    return merged
