"""`RestClient`: TF Serving's REST API from Python, with the standard
library alone (no TensorFlow): model status, metadata and `:predict` in
the row (`instances`) or columnar (`inputs`) format. bytes travel as b64."""

import json
import socket
import urllib.error
import urllib.parse
import urllib.request

from serving.errors import ServingError, code_for_http
from serving.tensors_json import from_wire, to_wire


class RestClient:
    def __init__(self, url="http://127.0.0.1:8501", timeout=30.0):
        self.url, self.timeout = url.rstrip("/"), timeout

    def status(self, name, version=None, label=None):
        return self._call("GET", self._path(name, version, label))

    def metadata(self, name, version=None, label=None):
        return self._call("GET", self._path(name, version, label) + "/metadata")

    def predict(
        self, name, inputs=None, instances=None, signature_name=None, version=None, label=None
    ):
        """Columnar `inputs` ({name: array-like} or one array-like) ->
        {output: array} (or the one output's array); row `instances`
        (a list) -> the list of predictions."""
        if (inputs is None) == (instances is None):
            raise ValueError("give exactly one of `inputs` (columnar) or `instances` (rows)")
        body = (
            {"inputs": to_wire(inputs)} if inputs is not None else {"instances": to_wire(instances)}
        )
        if signature_name:
            body["signature_name"] = signature_name
        reply = self._call("POST", self._path(name, version, label) + ":predict", body)
        return from_wire(reply["outputs"] if "outputs" in reply else reply["predictions"])

    def _path(self, name, version, label):
        if version is not None and label is not None:
            raise ValueError("give a version or a label, not both")
        path = f"/v1/models/{urllib.parse.quote(name, safe='')}"
        if version is not None:
            path += f"/versions/{int(version)}"
        elif label is not None:
            path += f"/labels/{urllib.parse.quote(label, safe='')}"
        return path

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ServingError(code_for_http(error.code), _message(error)) from None
        except TimeoutError:
            raise ServingError(
                "DEADLINE_EXCEEDED", f"{method} {path}: no answer in {self.timeout} s"
            ) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                raise ServingError("DEADLINE_EXCEEDED", f"{method} {path}: timed out") from None
            raise ServingError("UNAVAILABLE", f"cannot reach {self.url}: {error.reason}") from None


def _message(error):
    text = error.read().decode(errors="replace")
    try:
        return json.loads(text)["error"]
    except (ValueError, KeyError, TypeError):
        return text or error.reason
