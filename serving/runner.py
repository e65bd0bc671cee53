"""One pool of threads runs every model call, REST and gRPC alike, under a
per-request deadline, and admits them fairly:

- each client connection (a "peer") has a queue of its own, and free
  workers take from the queues in turn, so one client's backlog never
  starves another's; a peer runs at most `per_peer` calls at once;
- costly calls (over `heavy_macs`, from serving.work) run in a narrow
  lane of `heavy_slots`, so the other workers stay free for cheap ones;
- queues are bounded (`max_queue` in all, `per_peer_queue` a peer):
  beyond them a call is refused at once with RESOURCE_EXHAUSTED.

A call still queued at its deadline is refused without running; one that
runs past it is answered DEADLINE_EXCEEDED at the deadline. A TensorFlow
call cannot be interrupted once started, so what bounds a running call is
that every input and the work are bounded (serving.limits, serving.work)
before it starts; `shutdown` waits for running calls at most `grace`
seconds."""

import asyncio
import collections
import threading
import time
from concurrent import futures

from serving.errors import ServingError


def expired(seconds):
    return ServingError("DEADLINE_EXCEEDED", f"the request took longer than {seconds:g} s")


def busy(message):
    return ServingError("RESOURCE_EXHAUSTED", message)


class _Call:
    __slots__ = ("fn", "args", "peer", "heavy", "deadline", "allowed", "future")

    def __init__(self, fn, args, peer, heavy, allowed):
        self.fn, self.args, self.peer, self.heavy = fn, args, peer, heavy
        self.allowed, self.deadline = allowed, time.monotonic() + allowed
        self.future = futures.Future()


class Runner:
    def __init__(
        self,
        workers,
        timeout_s,
        heavy_macs=float("inf"),
        heavy_slots=1,
        per_peer=2,
        max_queue=256,
        per_peer_queue=32,
    ):
        self.timeout_s, self.heavy_macs, self.heavy_slots = timeout_s, heavy_macs, heavy_slots
        self.per_peer, self.max_queue, self.per_peer_queue = per_peer, max_queue, per_peer_queue
        self._queues = collections.OrderedDict()  # peer -> deque of _Call, in turn order
        self._running = collections.Counter()  # peer -> calls running
        self._heavy_running = self._queued = 0
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"predict-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # ---- submitting --------------------------------------------------------------
    def submit(self, fn, *args, peer="", macs=0, timeout_s=None):
        """The queued call of fn(*args) for `peer` (`.future` gives its result)."""
        allowed = min(self.timeout_s, timeout_s or self.timeout_s)
        call = _Call(fn, args, peer, macs > self.heavy_macs, allowed)
        with self._changed:
            if self._closed:
                raise ServingError("UNAVAILABLE", "the server is shutting down")
            queue = self._queues.get(peer)
            if self._queued >= self.max_queue:
                raise busy(f"the server is busy: {self._queued} requests are queued; retry later")
            if queue is not None and len(queue) >= self.per_peer_queue:
                raise busy(
                    f"this connection has {len(queue)} requests queued; "
                    "wait for their answers before sending more"
                )
            self._queues.setdefault(peer, collections.deque()).append(call)
            self._queued += 1
            self._changed.notify()
        return call

    def call(self, fn, *args, peer="", macs=0, timeout_s=None):
        """fn(*args) on the pool, from a synchronous caller (gRPC)."""
        call = self.submit(fn, *args, peer=peer, macs=macs, timeout_s=timeout_s)
        try:
            return call.future.result(timeout=max(0.0, call.deadline - time.monotonic()))
        except futures.TimeoutError:
            call.future.cancel()
            raise expired(call.allowed) from None

    async def acall(self, fn, *args, peer="", macs=0):
        """fn(*args) on the pool, awaited from the event loop (REST)."""
        call = self.submit(fn, *args, peer=peer, macs=macs)
        future = asyncio.wrap_future(call.future)
        try:
            return await asyncio.wait_for(future, max(0.0, call.deadline - time.monotonic()))
        except TimeoutError:
            raise expired(call.allowed) from None

    # ---- the workers ---------------------------------------------------------------
    def _next(self):
        """The first runnable call, taking peers in turn; None if none is
        (called with the lock held)."""
        for peer, queue in self._queues.items():
            if self._running[peer] >= self.per_peer:
                continue
            call = queue[0]
            if call.heavy and self._heavy_running >= self.heavy_slots:
                continue
            queue.popleft()
            self._queued -= 1
            if queue:
                self._queues.move_to_end(peer)  # its next call waits for the others' turn
            else:
                del self._queues[peer]
            return call
        return None

    def _work(self):
        while True:
            with self._changed:
                call = self._next()
                while call is None and not self._closed:
                    self._changed.wait()
                    call = self._next()
                if call is None:
                    return
                self._running[call.peer] += 1
                self._heavy_running += call.heavy
            try:
                self._run(call)
            finally:
                with self._changed:
                    self._running[call.peer] -= 1
                    if not self._running[call.peer]:
                        del self._running[call.peer]
                    self._heavy_running -= call.heavy
                    self._changed.notify_all()

    @staticmethod
    def _run(call):
        if not call.future.set_running_or_notify_cancel():
            return  # its caller gave up
        if time.monotonic() > call.deadline:  # waited its whole time in the queue
            call.future.set_exception(expired(call.allowed))
            return
        try:
            call.future.set_result(call.fn(*call.args))
        except BaseException as error:
            call.future.set_exception(error)

    def shutdown(self, grace=30.0):
        """Refuse new calls and queued ones; wait up to `grace` seconds for
        running calls. Returns how many were still running (their threads
        are daemons: they do not hold the process up)."""
        with self._changed:
            self._closed = True
            for queue in self._queues.values():
                for call in queue:
                    if call.future.set_running_or_notify_cancel():
                        call.future.set_exception(ServingError("UNAVAILABLE", "the server stopped"))
            self._queues.clear()
            self._queued = 0
            self._changed.notify_all()
        deadline = time.monotonic() + grace
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._changed:
            return sum(self._running.values())
