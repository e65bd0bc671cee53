"""What every task's training shares: recipes, fit with resume, packaging, paths."""
