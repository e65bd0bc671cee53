"""One training run of a task whose data comes first (a `Prepared`: its
recipe with defaults, epochs and steps): the model built in the seeded
strategy, fitted with resume and early stopping, and the best weights
packaged with the task's card. Each such task's `train` is this call."""

from training.core import fit as fitting
from training.core import packaging


def run_prepared(
    data,
    build,
    pipelines,
    model_card,
    run_dir,
    *,
    unit,
    distribute="none",
    mixed_precision=False,
    publish_to=None,
    verbose=1,
    callbacks=(),
    task_callbacks=(),
    kept=None,
    packaged=None,
):
    """Train `build(data)` (built and compiled) on `pipelines(data,
    start_epoch)` -> (training batches from start_epoch on, validation batches), in
    run_dir (resumable), and write the package. `unit` labels the loss;
    `task_callbacks` run before the caller's `callbacks`; `kept(trained)`
    is the model whose best weights are kept (default: the trained one),
    `packaged(kept)` the one packaged (default: the kept one).
    -> (packaged model, card)"""
    t = data.recipe["train"]
    build_one = lambda: build(data)  # noqa: E731
    trained, strategy = fitting.seeded_build(t["seed"], mixed_precision, distribute, build_one)
    model = kept(trained) if kept else trained
    batches, validation = pipelines(data, fitting.resume_epoch(run_dir))
    history = fitting.fit(
        trained,
        batches,
        validation,
        run_dir,
        data.epochs,
        data.steps,
        verbose,
        [*task_callbacks, *callbacks, *fitting.early_stopping(t["patience"])],
        unit=unit,
        kept=model,
    )
    model = packaged(model) if packaged else model
    return packaging.finish_run(
        model, data, model_card, history, strategy, run_dir, publish_to, distribute, mixed_precision
    )
