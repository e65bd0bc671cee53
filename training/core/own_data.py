"""What training on a user's own files (`data.files`; `zoo train TASK
--data FILES`) shares across tasks: the model a run fine-tunes, and the
card's account of the files, which makes no claim about any other data."""

from pathlib import Path

FILE_KEYS = ("files", "validation_files", "test_files")


def load_base(source, model_class):
    """The model to fine-tune (`train.fine_tune`: a shipped name or a
    package folder), or None when the recipe trains a new one."""
    if not source:
        return None
    from zoo import registry

    model = registry.load_name_or_path(source)
    if not isinstance(model, model_class):
        raise ValueError(
            f"{source} is a {model.card['task']} model; this task fine-tunes a "
            f"{model_class.__name__}"
        )
    return model


def model_options(recipe, base):
    """[model] of the recipe, or, fine-tuning, the base's value of each key."""
    if base is None:
        return recipe["model"]
    config = base.get_config()
    return {k: config.get(k, v) for k, v in recipe["model"].items()}


def base_card(base):
    """The card entry naming the fine-tuned base, if any."""
    return {"base_model": base.card["name"]} if base is not None else {}


def dataset_card(d, splits, held_out=None, **extra):
    """The card's "dataset" for the user's files: their names, the split
    sizes and how validation was held out (`held_out` where not a share
    of the rows drawn with the recipe's seed)."""
    share = f"a {d['validation_share']:.0%} share of the training rows"
    held = (
        "the files given"
        if d["validation_files"]
        else held_out or f"{share} drawn with seed {d.get('seed')}"
    )
    return {
        "name": "the user's data",
        "files": {key: [Path(f).name for f in d[key]] for key in FILE_KEYS if d[key]},
        "splits": {split: len(rows) for split, rows in splits.items()},
        **extra,
        "split_rule": f"validation: {held}",
        "terms": "the user's own; not stated",
    }


def applied_recipe(recorded, unused, model_options):
    """The card's recipe as it applied: without the shipped data sets' keys
    (`unused`), and with the fine-tuned base's architecture."""
    data = {k: v for k, v in recorded["data"].items() if k not in unused}
    return {**recorded, "data": data, "model": model_options}
