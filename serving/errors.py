"""Errors as TF Serving reports them: a canonical gRPC status code name
(INVALID_ARGUMENT, NOT_FOUND...) and a message; REST gives the code's HTTP
status and `{"error": message}`, gRPC the status itself."""

# TF Serving's mapping of canonical codes to HTTP statuses.
HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 499,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
# Canonical codes by number (tf.errors and grpc.StatusCode share them).
CODES = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
]


MAX_MESSAGE = 2000  # characters of an error message: never an echo of a huge input
MAX_SHOWN = 200  # characters of one client-given name quoted in a message


def shown(text):
    """A client-given string for an error message, cut to MAX_SHOWN
    characters (a 1 MB model name must not come back whole)."""
    text = str(text)
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]}... ({len(text):,} characters)"


def names_shown(names, most=10):
    """Client-given names for a message: the first `most`, each cut."""
    names = sorted(map(str, names))
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return f"[{', '.join(repr(shown(n)) for n in names[:most])}]{more}"


class ServingError(Exception):
    """A request the server (or a client) could not satisfy."""

    def __init__(self, code, message):
        message = str(message)
        if len(message) > MAX_MESSAGE:
            message = f"{message[:MAX_MESSAGE]}... (message cut at {MAX_MESSAGE} characters)"
        super().__init__(message)
        self.code, self.message = code, message

    def __reduce__(self):  # crosses process boundaries (serving.rest's parser process)
        return type(self), (self.code, self.message)

    @property
    def http_status(self):
        return HTTP_STATUS.get(self.code, 500)

    def __str__(self):
        return f"{self.code}: {self.message}"


def invalid(message):
    return ServingError("INVALID_ARGUMENT", message)


def not_found(message):
    return ServingError("NOT_FOUND", message)


def code_for_http(status):
    """The canonical code a client reports for an HTTP error status."""
    for code, http in HTTP_STATUS.items():
        if http == status and code not in ("FAILED_PRECONDITION", "OUT_OF_RANGE"):
            return code
    return "INTERNAL" if status >= 500 else "UNKNOWN"
