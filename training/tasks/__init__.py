"""One module per task (the card's `task`, `-` as `_`), each with the same
small protocol: DEFAULTS (every key its recipes may set), train(recipe,
run_dir, ...), package_run(recipe, run_dir, ...) and summary(card).
`python -m training` finds it from the recipe's task (training.core.recipe)."""
