"""Held-out metrics the tasks' cards record."""
