"""What an int8 export is judged by (exports.quantize): a family's fixed
held-out subset and metrics, measured through the user-facing API
(`translate`, `classify`, `caption`, `stylize`, `nats_per_char`), so the
Keras model and its export run by serving.OnnxModel are measured alike.

Each family's training task module gives `held_out_judge(model, recipe,
data_dir)`; `judge_for` finds it by the model's task."""

import dataclasses
from collections.abc import Callable

from training.core.recipe import load_recipe, task_module

POINTS = 0.5  # most a metric in points (accuracy %, BLEU, CIDEr-D, %) may drop
NATS = 0.02  # most a character LM's nats per character may rise


@dataclasses.dataclass(frozen=True)
class Judge:
    subset: str  # what is measured, in words (zoo.json records it)
    metrics: dict  # {name: (higher_is_better, tolerance)}
    score: Callable  # model -> {name: value}
    calibration: tuple = ()  # uint8 HWC training photos for int8 calibration

    def measure(self, model):
        return {k: float(v) for k, v in self.score(model).items()}


def judge_for(model, data_dir=None):
    """The held-out judge of a zoo model, from its shipped recipe (or the
    recipe its card records)."""
    card = getattr(model, "card", None) or {}
    name = card.get("name")
    if not name:
        raise ValueError("an int8 export is judged on the model's held-out data: it has no card")
    try:
        recipe = load_recipe(name)
    except (FileNotFoundError, LookupError, ValueError) as error:
        raise ValueError(f"{name}: no recipe names its held-out data ({error})") from error
    judge = getattr(task_module(model.task), "held_out_judge", None)
    if judge is None:
        raise ValueError(f"{name}: a {model.task} model has no int8 export (no held-out judge)")
    return judge(model, recipe, data_dir)
