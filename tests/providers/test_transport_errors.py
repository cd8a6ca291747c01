"""Upstream statuses map to the errors the client sees, with the upstream's own reason."""

from __future__ import annotations

import orjson
import pytest

from gateway.errors import (
    GatewayError,
    InvalidRequest,
    NotFound,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.providers.transport import upstream_status_error


@pytest.mark.parametrize(
    ("status", "kind", "client_status"),
    [
        (400, InvalidRequest, 400),
        (422, InvalidRequest, 400),
        (401, UpstreamError, 502),
        (403, UpstreamError, 502),
        (404, NotFound, 404),
        (429, UpstreamUnavailable, 503),
        (500, UpstreamError, 502),
        (502, UpstreamError, 502),
        (503, UpstreamUnavailable, 503),
        (529, UpstreamUnavailable, 503),
        (504, UpstreamTimeout, 504),
    ],
)
def test_status_mapping(status: int, kind: type[GatewayError], client_status: int) -> None:
    body = orjson.dumps({"error": {"message": "the upstream's reason", "type": "x"}})
    error = upstream_status_error("groq", status, body)
    assert type(error) is kind
    assert error.status == client_status
    assert "groq" in error.message
    # A refused credential's message may echo the key: it is never relayed.
    relayed = status not in (401, 403)
    assert ("the upstream's reason" in error.message) is relayed


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}', "busy"),
        (b'{"error":"plain string"}', "plain string"),
        (b"<html>Bad gateway</html>", "<html>Bad gateway</html>"),
        (b"", "HTTP 500"),
    ],
)
def test_the_reason_is_read_from_any_vendor_shape(body: bytes, reason: str) -> None:
    assert reason in upstream_status_error("anthropic", 500, body).message
