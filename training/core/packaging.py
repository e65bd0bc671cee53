"""Model packages from training runs: the parts of a model card every task
shares, writing run_dir/model, and publishing into zoo/pretrained/."""

import os
import platform
from pathlib import Path

import keras

import zoo
from training.core import fit as fitting
from training.core.multi_worker import is_chief
from zoo import package_files, registry, staging

PRETRAINED = registry.PRETRAINED


def common_card(recipe, model, history, steps, distribute, mixed_precision):
    """Name, task, parameters, recipe, training record and versions."""
    best = min(history, key=lambda row: row["val_loss"]) if history else {}
    return {
        "name": recipe["name"],
        "task": recipe["task"],
        "description": recipe["description"],
        "parameters": model.count_params(),
        "recipe": {
            "file": f"training/recipes/{Path(recipe['path']).name}" if recipe["path"] else None,
            **{k: v for k, v in recipe.items() if k in ("data", "model", "train")},
        },
        "training": {
            "epochs": recipe["train"]["epochs"],
            "steps_per_epoch": steps,
            "best_epoch": int(best.get("epoch", -1)) + 1,
            "seconds": round(sum(row.get("seconds", 0.0) for row in history), 1),
            "device": device(),
            "machine": f"{platform.machine()}, {_cpu_count()} CPU cores",
            "distribute": distribute,
            "mixed_precision": mixed_precision,
            "command": recipe.get("command") or f"python -m training {recipe['name']}",
            "history": [
                {k: round(row[k], 4) for k in ("loss", "val_loss", "seconds")} for row in history
            ],
        },
        "versions": versions(),
    }


def device():
    """GPU if Keras' backend computes on one, else CPU."""
    names = " ".join(str(d).lower() for d in keras.distribution.list_devices())
    return "GPU" if "gpu" in names or "cuda" in names else "CPU"


def versions():
    """zoo, keras, and the backend that trained (its name and version)."""
    backend = keras.backend.backend()
    module = __import__(backend)
    found = {"zoo": zoo.__version__, "keras": keras.__version__, backend: module.__version__}
    return found if backend == "tensorflow" else {**found, "backend": backend}


def finish(model, card_of, strategy, run_dir, publish_to=None):
    """After fit: float32 again, the optimizer dropped, the card made by
    `card_of(model)`, and (on the chief only) the package written."""
    fitting.set_precision(False)
    model = package_files.inference_copy(model)
    card = card_of(model)
    if is_chief(strategy):
        card = write_package(model, card, run_dir, publish_to)
    return model, card


def finish_run(
    model,
    data,
    model_card,
    history,
    strategy,
    run_dir,
    publish_to=None,
    distribute="none",
    mixed_precision=False,
):
    """`finish` for the tasks whose cards come from
    model_card(data, model, history, distribute, mixed_precision)."""
    card_of = lambda m: model_card(data, m, history, distribute, mixed_precision)  # noqa: E731
    return finish(model, card_of, strategy, run_dir, publish_to)


def package_prepared(model, data, model_card, run_dir, publish_to=None):
    """`package_best` for the same tasks: a fresh `model`, the run's best
    weights, a card made as after training on one device."""
    card_of = lambda m, history: model_card(data, m, history, "none", False)  # noqa: E731
    return package_best(model, card_of, run_dir, publish_to)


def package_best(model, card_of, run_dir, publish_to=None):
    """A finished run's package without training: `model` (fresh, float32)
    takes the run's best weights, `card_of(model, history)` makes the card."""
    model.load_weights(Path(run_dir) / fitting.BEST)
    card = card_of(model, fitting.read_history(run_dir))
    return model, write_package(model, card, run_dir, publish_to)


def write_package(model, card, run_dir, publish_to=None):
    card = package_files.write_package(model, Path(run_dir) / "model", card)
    if publish_to:
        staging.publish(Path(run_dir) / "model", publish_to)
    return card


def _cpu_count():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
