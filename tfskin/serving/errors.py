"""Errors of the serving layer: TF Serving status codes (gRPC codes, mapped to HTTP codes for REST) and the
one-line user errors of clients."""

from tfskin.errors import UserError

# TF Serving's REST mapping of status codes to HTTP codes (http_server.cc / the reference).
HTTP_STATUS = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501, "INTERNAL": 500,
    "UNAVAILABLE": 503, "DATA_LOSS": 500, "UNAUTHENTICATED": 401,
}


class ServingStatus(Exception):
    """A request failed with a TF Serving status ``code`` (e.g. "NOT_FOUND") and ``message``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def to_string(self) -> str:
        """As TF's ``Status::ToString()``: "INVALID_ARGUMENT: message"."""
        return f"{self.code}: {self.message}"


def invalid(message: str) -> ServingStatus:
    return ServingStatus("INVALID_ARGUMENT", message)


def not_found(message: str) -> ServingStatus:
    return ServingStatus("NOT_FOUND", message)


class ServingError(UserError, ValueError):
    """A serving endpoint is down, unreachable or answered an error; the message names the URL."""


class ModelBaseError(UserError, ValueError):
    """``tfskin serve --model-base`` (or a models.config) names nothing servable; the message says why."""
