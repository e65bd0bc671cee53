"""What bounds the REST API's connections, below aiohttp's request
handling: a cap on open connections, in all and per client address (one
over either is answered 503 and closed at once, so a flood of half-sent
connections cannot exhaust the file descriptors), and half-closed clients
(`nc -N`, `shutdown(SHUT_WR)` after the request) still get their answer.
aiohttp's own keep-alive timer closes a connection that has not sent a
whole request header in `idle_timeout_s` (set on the runner); the body
has a timeout of its own in serving.rest.

Also here: the log filter that keeps a flood of one error from writing
the same line a hundred thousand times."""

import asyncio
import collections
import logging
import threading
import time

from aiohttp import web

log = logging.getLogger("serving")
REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)


class ConnectionLimits:
    """Counts open connections by client address; `admit` says whether one
    more may open."""

    def __init__(self, max_connections=1024, per_address=256):
        self.max_connections, self.per_address = max_connections, per_address
        self.open = 0
        self.by_address = collections.Counter()
        self.refused = 0

    def admit(self, address):
        if self.open >= self.max_connections:
            return f"the server has {self.open} connections open, its limit"
        if self.by_address[address] >= self.per_address:
            return f"{address} has {self.by_address[address]} connections open, the limit"
        self.open += 1
        self.by_address[address] += 1
        return None

    def release(self, address):
        self.open -= 1
        self.by_address[address] -= 1
        if not self.by_address[address]:
            del self.by_address[address]


class GuardedConnection(asyncio.Protocol):
    """aiohttp's protocol for one connection, admitted by `limits` first."""

    def __init__(self, inner, limits):
        self.inner, self.limits, self.address = inner, limits, None

    def connection_made(self, transport):
        peer = transport.get_extra_info("peername")
        address = peer[0] if peer else "?"
        why = self.limits.admit(address)
        if why is not None:
            self.limits.refused += 1
            log.warning("refused a connection: %s", why)
            body = b'{"error": "too many connections; retry later"}'
            transport.write(REFUSED % (len(body), body))
            transport.close()
            self.inner = None
            return
        self.address = address
        self.inner.connection_made(transport)

    def data_received(self, data):
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self):
        # The client sent all it will; answer what it sent, then close
        # (asyncio would close at once, before any answer is written).
        if self.inner is not None:
            self.inner.close()
        return True

    def connection_lost(self, exc):
        if self.address is not None:
            self.limits.release(self.address)
            self.address = None
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def pause_writing(self):
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self):
        if self.inner is not None:
            self.inner.resume_writing()


class GuardedSite(web.SockSite):
    """web.SockSite whose connections pass through GuardedConnection."""

    def __init__(self, runner, sock, limits, **kwargs):
        super().__init__(runner, sock, **kwargs)
        self.limits = limits

    async def start(self):
        await web.BaseSite.start(self)
        server, limits = self._runner.server, self.limits
        self._server = await asyncio.get_running_loop().create_server(
            lambda: GuardedConnection(server(), limits), sock=self._sock, backlog=self._backlog
        )


class RepeatFilter(logging.Filter):
    """Lets through at most `burst` records of one message template in
    each `window` seconds; the next one let through says how many were
    held back."""

    def __init__(self, burst=5, window=10.0):
        super().__init__()
        self.burst, self.window = burst, window
        self._seen = {}  # (logger, template) -> [window start, count]
        self._lock = threading.Lock()

    def filter(self, record):
        key, now = (record.name, str(record.msg)), time.monotonic()
        with self._lock:
            start, count = self._seen.get(key, (now, 0))
            if now - start > self.window:
                held = count - self.burst
                if held > 0:
                    record.msg = (
                        f"{record.msg} [{held} more like this in the last {self.window:g} s]"
                    )
                start, count = now, 0
            self._seen[key] = (start, count + 1)
            if len(self._seen) > 10_000:  # templates are few; this bounds a pathological case
                self._seen.clear()
        return count < self.burst


NOISY_LOGGERS = ("serving", "aiohttp.server", "aiohttp.web", "aiohttp.access", "asyncio", "grpc")


def limit_repeats(burst=5, window=10.0):
    """Install one RepeatFilter on every logger the server's errors reach."""
    repeat = RepeatFilter(burst, window)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(repeat)
