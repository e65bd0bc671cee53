"""Recipe files: TOML in training/recipes/, one per shipped model, holding
every choice that made it (data, architecture, training budget). `task`
picks the module that trains it, `training.tasks.<task>` (`char-lm` ->
`training.tasks.char_lm`), whose DEFAULTS name every key a recipe may set."""

import copy
import pkgutil
import tomllib
from pathlib import Path

from zoo_runtime import layout

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


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
    recipe = merge(task_module(task, where=path.name).DEFAULTS, given, where=path.name)
    if not recipe["name"]:
        raise ValueError(f"{path.name}: a recipe needs a `name`")
    recipe["path"] = str(path)
    return recipe


def task_module(task, where="a recipe"):
    """training.tasks.<task>: its DEFAULTS, train, package_run and summary."""
    if layout.task_identifier(task) in _task_modules():
        return layout.task_module("training.tasks", task)
    known = sorted(n.replace("_", "-") for n in _task_modules())
    raise ValueError(f"{where}: unknown task {task!r}; known: {known}")


def _task_modules():
    from training import tasks

    return {m.name for m in pkgutil.iter_modules(tasks.__path__)}


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
