"""Timing side by side: calls measured in interleaved rounds in one
process, so that a machine's drift touches every side alike."""

import statistics
import time


def interleaved_ms(calls, rounds, warmups=1):
    """{name: median ms} of `calls` ({name: zero-argument callable}):
    `warmups` calls of each (tracing, session start), then `rounds` rounds
    that call each in turn."""
    for call in calls.values():
        for _ in range(warmups):
            call()
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(1000 * (time.perf_counter() - start))
    return {name: statistics.median(t) for name, t in times.items()}
