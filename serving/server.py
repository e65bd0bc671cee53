"""The embedded TF-Serving-compatible server: one ModelRepository, served
over REST (aiohttp, on its own event-loop thread) and gRPC (grpcio).
Loopback by default; `stop()` finishes requests in flight for at most
`grace` seconds before it returns (graceful, bounded shutdown).

Everything a client controls is bounded (README, "Serving"): bytes and
declared tensor sizes (serving.limits), the work a request may cost
(serving.work), fair admission to the model threads (serving.runner),
connections, header, body and idle timeouts (serving.connections, gRPC's
own settings), and how often one error is logged."""

from serving.tensorflow import tf  # first: TensorFlow's quiet start

# isort: split

import asyncio
import logging
import os
import resource
import signal
import socket
import threading
import time

from aiohttp import web

from serving.connections import ConnectionLimits, GuardedSite, limit_repeats
from serving.grpc_service import make_server
from serving.parsing import Parser
from serving.repository import ModelRepository
from serving.rest import make_app
from serving.runner import Runner

MB = 1 << 20
GIGA = 10**9
log = logging.getLogger("serving")


class EmbeddedServer:
    def __init__(
        self,
        models="exports",
        host="127.0.0.1",
        rest_port=8501,
        grpc_port=8500,
        config_file=None,
        poll_seconds=1.0,
        max_body_mb=64,
        max_batch=1024,
        workers=8,
        calls_per_connection=None,
        max_tensor_mb=None,
        request_timeout_s=60.0,
        start_timeout_s=300.0,
        max_work_gmacs=700.0,
        heavy_gmacs=20.0,
        heavy_slots=1,
        max_connections=1024,
        connections_per_address=256,
        idle_timeout_s=15.0,
        body_timeout_s=30.0,
        max_rpcs=256,
        streams_per_connection=32,
        shutdown_s=30.0,
    ):
        self.host, self.workers, self.start_timeout_s = host, workers, start_timeout_s
        self.max_bytes = int(max_body_mb * MB)
        # Decoded inputs may take what the body may; a TensorProto can
        # declare far more than its bytes, so this is checked on its own.
        self.max_tensor_bytes = int((max_tensor_mb or max_body_mb) * MB)
        self.repository = ModelRepository(
            models, config_file, poll_seconds, max_batch, max_work_macs=max_work_gmacs * GIGA
        )
        self._ports = {"rest": rest_port, "grpc": grpc_port}
        # One connection may take half the cores: a client flooding it with
        # calls (5,000 gRPC streams, say) cannot also take the rest.
        per_peer = calls_per_connection or max(1, _cores() // 2)
        self.runner = Runner(
            workers,
            request_timeout_s,
            per_peer=per_peer,
            heavy_macs=heavy_gmacs * GIGA,
            heavy_slots=heavy_slots,
        )
        self.limits = ConnectionLimits(max_connections, connections_per_address)
        self.idle_timeout_s, self.body_timeout_s = idle_timeout_s, body_timeout_s
        self.max_rpcs, self.streams, self.shutdown_s = max_rpcs, streams_per_connection, shutdown_s
        preload = ["serving.tensors_json"] + (
            ["serving.grpc_service"] if grpc_port is not None else []
        )
        self.parser = Parser(preload)  # shared by REST and gRPC
        self._loop = self._runner = self._grpc = None
        self._ready = threading.Event()

    @property
    def rest_port(self):
        return self._ports["rest"]

    @property
    def grpc_port(self):
        return self._ports["grpc"]

    def start(self):
        """Load the models, then listen; returns once both APIs accept, or
        raises TimeoutError after `start_timeout_s`."""
        limit_repeats()
        _raise_file_limit()
        self.parser.start()
        self.repository.start_polling()
        if self._ports["grpc"] is not None:
            self._grpc, self._ports["grpc"] = make_server(
                self.repository,
                self.runner,
                self.parser,
                self.host,
                self._ports["grpc"],
                self.max_bytes,
                self.max_tensor_bytes,
                max_rpcs=self.max_rpcs,
                streams_per_connection=self.streams,
                idle_s=max(60, self.idle_timeout_s),
                max_connections=self.limits.max_connections,
            )
            self._grpc.start()
        if self._ports["rest"] is not None:
            sock = socket.create_server(
                (self.host, self._ports["rest"]), reuse_port=False, backlog=1024
            )
            self._ports["rest"] = sock.getsockname()[1]
            threading.Thread(target=self._serve_rest, args=(sock,), daemon=True).start()
            if not self._ready.wait(self.start_timeout_s):
                self.stop(grace=0)
                raise TimeoutError(f"the REST API did not start in {self.start_timeout_s:g} s")
        return self

    def _serve_rest(self, sock):
        self._loop = asyncio.new_event_loop()
        app = make_app(
            self.repository,
            self.runner,
            self.parser,
            self.max_bytes,
            self.max_tensor_bytes,
            self.body_timeout_s,
        )
        # aiohttp's keep-alive timer runs from a connection's start and from
        # each answer, so it also closes one whose request header never ends.
        # aiohttp waits for handlers, then cancels them and waits again:
        # half of shutdown_s each, so REST is done within shutdown_s.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=self.shutdown_s / 2,
            keepalive_timeout=self.idle_timeout_s,
        )
        self._loop.run_until_complete(self._runner.setup())
        site = GuardedSite(self._runner, sock, self.limits, backlog=1024)
        self._loop.run_until_complete(site.start())
        self._ready.set()
        self._loop.run_forever()

    def stop(self, grace=None):
        """Stop accepting, let requests in flight finish for at most
        `grace` seconds (default shutdown_s) in all, unload. Returns the
        number of model calls still running then (abandoned to their
        daemon threads: a TensorFlow call cannot be interrupted)."""
        grace = self.shutdown_s if grace is None else grace
        deadline = time.monotonic() + grace
        if self._grpc is not None:
            self._grpc.stop(grace)  # refuses new RPCs now; cancels the rest after `grace`
        if self._runner is not None:
            done = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            wait = max(1.0, deadline - time.monotonic())  # aiohttp waits on handlers in TF calls
            try:
                done.result(timeout=wait)
            except TimeoutError:
                log.warning("the REST API did not close in %.1f s: leaving its handlers", wait)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self.repository.stop()
        self.parser.stop()
        return self.runner.shutdown(max(0.0, deadline - time.monotonic()))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self):
        """Start, then run until SIGINT or SIGTERM; then shut down within
        shutdown_s. Returns the number of model calls abandoned."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        models = self.repository.names()
        print(
            f"serving {len(models)} model(s) {', '.join(models)}\n"
            f"REST on http://{self.host}:{self.rest_port}, gRPC on {self.host}:{self.grpc_port}",
            flush=True,
        )
        stop.wait()
        print(
            f"shutting down: finishing requests in flight (at most {self.shutdown_s:g} s)",
            flush=True,
        )
        abandoned = self.stop()
        print(
            "stopped" + (f" ({abandoned} model calls abandoned)" if abandoned else ""), flush=True
        )
        return abandoned


def _cores():
    # training.core.packaging has its twin; serving may not import training.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def share_cores(intra_op_threads=None):
    """Let one TensorFlow op use all cores but one (or `intra_op_threads`),
    so that a costly call in the heavy lane leaves a core to every other
    request. Only possible before TensorFlow starts its thread pools, so
    this is for a process of its own (`python -m serving`); returns False
    if TensorFlow had already started."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(
            intra_op_threads or max(1, _cores() - 1)
        )
    except RuntimeError:
        log.warning("TensorFlow has started: its intra-op threads stay as they are")
        return False
    return True


def _raise_file_limit():
    """The soft limit on open files up to the hard one: the connection caps,
    not the OS default, should be what refuses clients."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
