"""Where request bodies and messages are parsed: small ones on the
calling thread's side (a thread of the default executor for REST, the
RPC's own thread for gRPC); big ones (over BIG_BODY) in a process of
their own. json.loads and protobuf parsing hold the GIL for the whole
parse, so a flood of big or merely costly bodies, even ones refused
once parsed, would otherwise stall every other request's Python work.
The process is niced: on a busy machine, the small requests already
parsed go first, and a flood only slows itself down."""

import asyncio
import importlib
import multiprocessing
import os
import threading
import time
from concurrent import futures

from serving.errors import ServingError

# Measured on 2 cores: parsing 26 KB over-budget bodies on the server's
# threads, back to back from 8 clients, tripled a small request's p50.
BIG_BODY = 16 << 10


def _prepare(modules, parent):
    os.nice(10)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    for module in modules:
        importlib.import_module(module)


def _exit_with(parent):
    """End this process once the server's is gone: one that exits at once
    (os._exit after abandoning model calls) leaves no orphan parser
    holding its stdout open."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class Parser:
    """`preload`: the modules whose parse functions it will run, imported
    when the process starts rather than on the first big body (gRPC's
    imports TensorFlow: seconds)."""

    def __init__(self, preload=()):
        self._pool, self.preload = None, tuple(preload)
        self._lock = threading.Lock()  # gRPC's threads may find it broken at once

    def start(self):
        # Spawned (no fork of a threaded server) and niced.
        self._pool = futures.ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_prepare,
            initargs=(self.preload, os.getpid()),
        )
        self._pool.submit(int)  # start the process now, not on the first big body
        return self

    async def run(self, parse, size):
        """parse(), on a thread, or in the process when `size` is big."""
        loop, pool = asyncio.get_running_loop(), self._pool_for(size)
        if pool is None:
            return await loop.run_in_executor(None, parse)
        try:
            return await loop.run_in_executor(pool, parse)
        except futures.process.BrokenProcessPool:
            raise self._restarted(pool) from None

    def call(self, parse, size):
        """parse(), here, or in the process when `size` is big."""
        pool = self._pool_for(size)
        if pool is None:
            return parse()
        try:
            return pool.submit(parse).result()
        except futures.process.BrokenProcessPool:
            raise self._restarted(pool) from None

    def _pool_for(self, size):
        return self._pool if size > BIG_BODY else None

    def _restarted(self, broken):
        """A new process for the next body (this one died: out of memory,
        killed), started once however many calls found it broken."""
        with self._lock:
            if self._pool is broken:
                self.start()
        return ServingError("RESOURCE_EXHAUSTED", "the request body could not be parsed")

    def stop(self):
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)  # a parse under way ends alone
