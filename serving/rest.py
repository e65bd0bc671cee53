"""TF Serving's REST API on aiohttp:

    GET  /v1/models/NAME[/versions/N | /labels/L]            model status
    GET  /v1/models/NAME[/versions/N | /labels/L]/metadata   signatures
    POST /v1/models/NAME[/versions/N | /labels/L]:predict    row or columnar JSON

Every error is `{"error": message}` with TF Serving's HTTP status. JSON is
parsed and written on worker threads (big bodies in serving.parsing's
process) and models run in serving.runner's
pool under the request deadline, so no request blocks the event loop.
"""

import asyncio
import functools
import json
import logging
import re

from aiohttp import web
from aiohttp.http_exceptions import PayloadEncodingError
from aiohttp.web_protocol import RequestPayloadError

from serving import protos
from serving.errors import ServingError, not_found
from serving.tensors_json import format_response, parse_body

log = logging.getLogger("serving")

ROUTE = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>[0-9]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<verb>/metadata|:predict|:classify|:regress)?$"
)


def make_app(repository, runner, parser, max_body_bytes, max_tensor_bytes, body_timeout_s=30.0):
    """The aiohttp app; bodies are parsed by `parser` (serving.parsing)."""
    app = web.Application(client_max_size=max_body_bytes, middlewares=[errors_as_json])
    handler = Handler(repository, runner, max_tensor_bytes, parser, body_timeout_s)
    app.router.add_route("*", "/v1/models/{tail:.*}", handler.dispatch)
    return app


@web.middleware
async def errors_as_json(request, handler):
    """TF Serving's error body for every failure; the server goes on."""
    try:
        return await handler(request)
    except ServingError as error:
        return error_response(error.http_status, error.message)
    except web.HTTPException as error:  # 404 route, 405 method, 413 body size...
        return error_response(error.status, error.reason)
    except (PayloadEncodingError, RequestPayloadError) as error:  # gzip on a plain body, say
        # The rest of the body is not read: aiohttp's lingering read after
        # the response would raise the decoding error again and log it as
        # unhandled (seen under load). The connection closes after the 400.
        request.content.feed_eof()
        response = error_response(400, f"the body does not match its Content-Encoding: {error}")
        response.force_close()
        return response
    except Exception as error:
        log.exception("request %s %s failed", request.method, request.path)
        return error_response(500, f"internal error: {type(error).__name__}: {error}")


def error_response(status, message):
    return web.json_response({"error": message}, status=status)


class Handler:
    def __init__(self, repository, runner, max_tensor_bytes, parser, body_timeout_s):
        self.repository, self.runner, self.max_tensor_bytes = repository, runner, max_tensor_bytes
        self.parser, self.body_timeout_s = parser, body_timeout_s

    async def dispatch(self, request):
        match = ROUTE.match(request.path)
        if not match:
            raise not_found(f"Malformed request: {request.method} {request.path}")
        name, version, label, verb = match.group("name", "version", "label", "verb")
        want = "POST" if verb and verb.startswith(":") else "GET"
        if request.method != want:
            raise web.HTTPMethodNotAllowed(request.method, [want])
        if verb in (":classify", ":regress"):
            raise ServingError("UNIMPLEMENTED", f"{verb[1:]} is not served; use :predict")
        if verb == ":predict":
            return await self.predict(request, name, version, label)
        if verb == "/metadata":
            servable = self.repository.get(name, version, label)
            return web.json_response(protos.to_json(protos.metadata_response(servable)))
        status = protos.status_response(self.repository, name, version, label)
        return web.json_response(protos.to_json(status))

    async def predict(self, request, name, version, label):
        servable = self.repository.get(name, version, label)
        raw = await self.body(request)
        specs = {k: v["inputs"] for k, v in servable.specs.items()}
        where = f"model {servable.name} version {servable.version}"
        parse = functools.partial(parse_body, raw, specs, where, self.max_tensor_bytes)
        signature, feed, rows = await self.parser.run(parse, len(raw))
        peer = request.transport.get_extra_info("peername") if request.transport else None
        outputs = await self.runner.acall(
            servable.predict, signature, feed, peer=str(peer), macs=servable.cost(signature, feed)
        )
        text = await asyncio.get_running_loop().run_in_executor(None, _write, outputs, rows)
        return web.Response(text=text, content_type="application/json")

    async def body(self, request):
        """The whole body, within the body timeout (a client that sends
        its headers and then trickles or stalls is cut off: 408) and
        client_max_size (413)."""
        try:
            return await asyncio.wait_for(request.read(), self.body_timeout_s)
        except TimeoutError:
            raise web.HTTPRequestTimeout(
                reason=f"the request body took over {self.body_timeout_s:g} s to arrive"
            ) from None


def _write(outputs, rows):
    return json.dumps(format_response(outputs, rows), ensure_ascii=False)
