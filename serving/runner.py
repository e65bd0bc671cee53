"""One pool of threads runs every model call, REST and gRPC alike, under a
per-request deadline. A request still queued at its deadline is refused
without running; one that runs past it is answered DEADLINE_EXCEEDED at
the deadline. A TensorFlow call cannot be interrupted once started, so
what bounds a running call is that every input is bounded (text length,
pixels, batch, bytes) before it starts."""

import asyncio
import time
from concurrent import futures

from serving.errors import ServingError


def expired(seconds):
    return ServingError("DEADLINE_EXCEEDED", f"the request took longer than {seconds:g} s")


class Runner:
    def __init__(self, workers, timeout_s):
        self.timeout_s = timeout_s
        self._pool = futures.ThreadPoolExecutor(workers, thread_name_prefix="predict")

    def _guarded(self, deadline, allowed, fn, args):
        def run():
            if time.monotonic() > deadline:  # waited its whole time in the queue
                raise expired(allowed)
            return fn(*args)

        return run

    def call(self, fn, *args, timeout_s=None):
        """fn(*args) on the pool, from a synchronous caller (gRPC)."""
        allowed = min(self.timeout_s, timeout_s or self.timeout_s)
        future = self._pool.submit(self._guarded(time.monotonic() + allowed, allowed, fn, args))
        try:
            return future.result(timeout=allowed)
        except futures.TimeoutError:
            future.cancel()
            raise expired(allowed) from None

    async def acall(self, fn, *args):
        """fn(*args) on the pool, awaited from the event loop (REST)."""
        allowed = self.timeout_s
        run = self._guarded(time.monotonic() + allowed, allowed, fn, args)
        future = asyncio.get_running_loop().run_in_executor(self._pool, run)
        try:
            return await asyncio.wait_for(future, allowed)
        except TimeoutError:
            raise expired(allowed) from None

    def shutdown(self):
        self._pool.shutdown(wait=True)
