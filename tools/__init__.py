"""Generators of the README's and docs' tables and figures, from the model cards."""
