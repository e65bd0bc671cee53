"""TF Serving's REST API on aiohttp:

    GET  /v1/models/NAME[/versions/N | /labels/L]            model status
    GET  /v1/models/NAME[/versions/N | /labels/L]/metadata   signatures
    POST /v1/models/NAME[/versions/N | /labels/L]:predict    row or columnar JSON

Every error is `{"error": message}` with TF Serving's HTTP status. JSON is
parsed and written on worker threads and models run in serving.runner's
pool under the request deadline, so no request blocks the event loop.
"""

import asyncio
import json
import logging
import re

from aiohttp import web

from serving import protos
from serving.errors import ServingError, invalid, not_found
from serving.limits import Budget
from serving.tensors_json import format_response, parse_request

log = logging.getLogger("serving")

ROUTE = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>[0-9]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<verb>/metadata|:predict|:classify|:regress)?$"
)


def make_app(repository, runner, max_body_bytes, max_tensor_bytes):
    app = web.Application(client_max_size=max_body_bytes, middlewares=[errors_as_json])
    handler = Handler(repository, runner, max_tensor_bytes)
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
    except Exception as error:
        log.exception("request %s %s failed", request.method, request.path)
        return error_response(500, f"internal error: {type(error).__name__}: {error}")


def error_response(status, message):
    return web.json_response({"error": message}, status=status)


class Handler:
    def __init__(self, repository, runner, max_tensor_bytes):
        self.repository, self.runner, self.max_tensor_bytes = repository, runner, max_tensor_bytes

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
        raw = await request.read()  # over client_max_size: 413
        servable = self.repository.get(name, version, label)
        loop = asyncio.get_running_loop()
        signature, feed, rows = await loop.run_in_executor(None, self._parse, raw, servable)
        outputs = await self.runner.acall(servable.predict, signature, feed)
        text = await loop.run_in_executor(None, _write, outputs, rows)
        return web.Response(text=text, content_type="application/json")

    def _parse(self, raw, servable):
        """(signature, feed, row format) of a request body, its tensors
        within the byte budget."""
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise invalid(f"JSON Parse error: {type(error).__name__}: {error}") from None
        signature = body.get("signature_name") if isinstance(body, dict) else None
        if signature is not None and not isinstance(signature, str):
            raise invalid("'signature_name' must be a string")
        signature = servable.signature(signature)
        spec = servable.specs[signature]["inputs"]
        feed, rows = parse_request(body, spec, Budget(self.max_tensor_bytes))
        return signature, feed, rows


def _write(outputs, rows):
    return json.dumps(format_response(outputs, rows), ensure_ascii=False)
