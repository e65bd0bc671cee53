"""The embedded TF-Serving-compatible server: one ModelRepository, served
over REST (aiohttp, on its own event-loop thread) and gRPC (grpcio's thread
pool). Loopback by default; `stop()` finishes requests in flight before
it returns (graceful shutdown)."""

import asyncio
import signal
import socket
import threading

from aiohttp import web

from serving.grpc_service import make_server
from serving.repository import ModelRepository
from serving.rest import make_app
from serving.runner import Runner

MB = 1 << 20


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
        max_tensor_mb=None,
        request_timeout_s=60.0,
        start_timeout_s=300.0,
    ):
        self.host, self.workers, self.start_timeout_s = host, workers, start_timeout_s
        self.max_bytes = int(max_body_mb * MB)
        # Decoded inputs may take what the body may; a TensorProto can
        # declare far more than its bytes, so this is checked on its own.
        self.max_tensor_bytes = int((max_tensor_mb or max_body_mb) * MB)
        self.repository = ModelRepository(models, config_file, poll_seconds, max_batch)
        self._ports = {"rest": rest_port, "grpc": grpc_port}
        self.runner = Runner(workers, request_timeout_s)
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
        self.repository.start_polling()
        if self._ports["grpc"] is not None:
            self._grpc, self._ports["grpc"] = make_server(
                self.repository, self.runner, self.host, self._ports["grpc"], self.workers,
                self.max_bytes, self.max_tensor_bytes,
            )  # fmt: skip
            self._grpc.start()
        if self._ports["rest"] is not None:
            sock = socket.create_server((self.host, self._ports["rest"]), reuse_port=False)
            self._ports["rest"] = sock.getsockname()[1]
            threading.Thread(target=self._serve_rest, args=(sock,), daemon=True).start()
            if not self._ready.wait(self.start_timeout_s):
                self.stop(grace=0)
                raise TimeoutError(f"the REST API did not start in {self.start_timeout_s:g} s")
        return self

    def _serve_rest(self, sock):
        self._loop = asyncio.new_event_loop()
        app = make_app(self.repository, self.runner, self.max_bytes, self.max_tensor_bytes)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=30)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.SockSite(self._runner, sock).start())
        self._ready.set()
        self._loop.run_forever()

    def stop(self, grace=30):
        """Stop accepting, let requests in flight finish, unload."""
        if self._grpc is not None:
            self._grpc.stop(grace).wait()
        if self._runner is not None:
            done = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            done.result(timeout=grace + 5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self.repository.stop()
        self.runner.shutdown()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self):
        """Start, then run until SIGINT or SIGTERM; then shut down gracefully."""
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
        print("shutting down: finishing requests in flight", flush=True)
        self.stop()
        print("stopped", flush=True)
