"""Errors the simulated providers answer with, rendered in each vendor's own shape.

Handlers raise `SandboxError(status, message, ...)`; a `Dialect` renders it as the body
(and, for in-stream failures, the stream frame) its vendor would send:

- OpenAI-compatible: `{"error": {"message", "type", "param", "code"}}`
- Anthropic: `{"type": "error", "error": {"type", "message"}}`, in-stream `event: error`
- Ollama native: `{"error": "message"}`
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson

from gateway.sandbox.framing import ndjson, sse, sse_event

_DEFAULT_MESSAGES: dict[int, str] = {
    400: "Invalid request.",
    401: "Invalid authentication credentials.",
    403: "You do not have access to this resource.",
    404: "The requested resource does not exist.",
    408: "Request timed out.",
    429: "Rate limit reached for requests. Please try again in 1s.",
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The server is overloaded or not ready yet.",
    504: "Gateway timed out.",
    529: "Overloaded",
}

_OPENAI_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", None),
    403: ("invalid_request_error", None),
    404: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}

_ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class SandboxError(Exception):
    """A failure the simulated provider reports with `status` and a vendor-shaped body."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        self.status = status
        self.message = message or _DEFAULT_MESSAGES.get(status, f"Upstream error {status}.")
        self.code = code
        self.param = param
        super().__init__(self.message)


def _openai_payload(err: SandboxError) -> dict[str, object]:
    fallback = ("server_error" if err.status >= 500 else "invalid_request_error", None)
    kind, default_code = _OPENAI_TYPES.get(err.status, fallback)
    code = err.code or default_code
    return {"error": {"message": err.message, "type": kind, "param": err.param, "code": code}}


def _anthropic_payload(err: SandboxError) -> dict[str, object]:
    fallback = "api_error" if err.status >= 500 else "invalid_request_error"
    kind = _ANTHROPIC_TYPES.get(err.status, fallback)
    return {"type": "error", "error": {"type": kind, "message": err.message}}


def _ollama_payload(err: SandboxError) -> dict[str, object]:
    return {"error": err.message}


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one vendor family renders errors, in a body and inside a stream."""

    name: str
    payload: Callable[[SandboxError], dict[str, object]]
    frame: Callable[[SandboxError], bytes]
    request_id_header: bytes = b"x-request-id"

    def body(self, err: SandboxError) -> bytes:
        """The JSON error body."""
        return orjson.dumps(self.payload(err))


OPENAI = Dialect("openai", _openai_payload, lambda err: sse(_openai_payload(err)))
ANTHROPIC = Dialect(
    "anthropic",
    _anthropic_payload,
    lambda err: sse_event("error", _anthropic_payload(err)),
    b"request-id",
)
OLLAMA = Dialect("ollama", _ollama_payload, lambda err: ndjson(_ollama_payload(err)))
