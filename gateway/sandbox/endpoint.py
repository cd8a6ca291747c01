"""What every simulated endpoint does before its own work: count, pick the fault, authenticate.

`endpoint(...)` wraps a handler `(Call) -> WireResponse` into a Starlette endpoint. The
wrapper counts the request, picks its fault (the `x-sandbox-fault` header, else the
fault armed for the provider), answers a hang or an up-front error itself, reads the
JSON body, checks the credentials, and renders any `SandboxError` in the vendor's shape.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request

from gateway.pricing.catalog import PROVIDERS
from gateway.sandbox.config import ProviderLatency, SandboxConfig
from gateway.sandbox.errors import Dialect, SandboxError
from gateway.sandbox.faults import Fault, FaultBoard, FaultSyntaxError, parse_fault
from gateway.sandbox.framing import corrupt_body, corrupt_stream, pad_body, pad_stream
from gateway.sandbox.models import ModelDirectory
from gateway.sandbox.stats import Stats
from gateway.sandbox.wire import JSON_TYPE, NDJSON_TYPE, SSE_TYPE, Timing, WireResponse

FAULT_HEADER = "x-sandbox-fault"
Authenticator = Callable[[Headers], None]


class SandboxState:
    """The sandbox's mutable state and fixed lookups, owned by one app instance."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = FaultBoard()
        self.stats = Stats()
        self.models = ModelDirectory()
        self.latency: dict[str, ProviderLatency] = {p: config.latency_for(p) for p in PROVIDERS}

    def fault_for(self, provider: str, header: str | None) -> Fault:
        """The request's own fault when it names one, else the fault armed for `provider`."""
        if header is not None and header.strip():
            return parse_fault(header)
        return self.faults.take(provider)


@dataclass(slots=True)
class Call:
    """One request as a handler sees it: parsed body, fault, latency, response headers."""

    provider: str
    body: dict[str, Any]
    headers: Headers
    fault: Fault
    latency: ProviderLatency
    models: ModelDirectory
    dialect: Dialect
    request_id: str
    path_params: dict[str, Any]

    def response_headers(self, content_type: bytes = JSON_TYPE) -> list[tuple[bytes, bytes]]:
        """Content type plus the vendor's request-id header."""
        request_id = (self.dialect.request_id_header, self.request_id.encode())
        return [(b"content-type", content_type), request_id]

    def whole_timing(self, tokens: int) -> Timing:
        """Wait before a non-streamed answer of `tokens` tokens: generating all of them."""
        ms = self.latency.first_token_ms + self.latency.per_token_ms * tokens
        return Timing(ms / 1000 + self.fault.latency_s)

    def stream_timing(self) -> Timing:
        """Wait before the first frame, and between frames."""
        first_s = self.latency.first_token_ms / 1000 + self.fault.latency_s
        return Timing(first_s, self.latency.per_token_ms / 1000)

    def metadata_timing(self) -> Timing:
        """Listings answer at once, apart from an injected latency."""
        return Timing(self.fault.latency_s)

    def whole_reply(self, body: bytes, timing: Timing) -> WireResponse:
        """A JSON answer with the request's fault applied (in-stream errors become errors)."""
        fault = self.fault
        if fault.error_status is not None:
            return error_response(
                self.dialect, SandboxError(fault.error_status), self.request_id, fault.latency_s
            )
        if fault.malformed:
            body = corrupt_body(body)
        if fault.pad_bytes:
            body = pad_body(body, fault.pad_bytes)
        return WireResponse(
            [body], headers=self.response_headers(), timing=timing, cut_after=fault.cut_after
        )

    def stream_reply(self, frames: list[bytes], content_type: bytes = SSE_TYPE) -> WireResponse:
        """A streamed answer with the request's fault applied: corrupted, padded, failing
        or cut."""
        fault = self.fault
        if fault.malformed:
            frames = corrupt_stream(frames)
        if fault.pad_bytes:
            frames = pad_stream(frames, fault.pad_bytes, ndjson=content_type == NDJSON_TYPE)
        if fault.error_status is not None and fault.error_after is not None:
            kept = frames[: min(fault.error_after, len(frames) - 1)]
            frames = [*kept, self.dialect.frame(SandboxError(fault.error_status))]
        return WireResponse(
            frames,
            headers=self.response_headers(content_type),
            streaming=True,
            timing=self.stream_timing(),
            cut_after=fault.cut_after,
        )


Handler = Callable[[Call], WireResponse]


def error_response(
    dialect: Dialect, err: SandboxError, request_id: str, extra_s: float = 0.0
) -> WireResponse:
    """`err` as `dialect` renders it, after `extra_s` seconds."""
    headers = [(b"content-type", JSON_TYPE), (dialect.request_id_header, request_id.encode())]
    timing = Timing(extra_s)
    return WireResponse([dialect.body(err)], status=err.status, headers=headers, timing=timing)


def _parse_json(raw: bytes) -> tuple[dict[str, Any], SandboxError | None]:
    if not raw:
        return {}, None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}, SandboxError(400, "We could not parse the JSON body of your request.")
    if not isinstance(body, dict):
        return {}, SandboxError(400, "The request body must be a JSON object.")
    return body, None


def _admit(
    fault: Fault, auth: Authenticator | None, headers: Headers, body_error: SandboxError | None
) -> None:
    """Raise the error a request gets before its handler runs: injected, auth, bad JSON."""
    if fault.error_status is not None and fault.fails_upfront:
        raise SandboxError(fault.error_status)
    if auth is not None:
        auth(headers)
    if body_error is not None:
        raise body_error


def endpoint(
    state: SandboxState,
    provider: str,
    name: str,
    dialect: Dialect,
    handler: Handler,
    auth: Authenticator | None = None,
) -> Callable[[Request], Any]:
    """A Starlette endpoint for `provider`'s `name` endpoint, running `handler`."""

    async def run(request: Request) -> WireResponse:
        state.stats.record(provider, name)
        request_id = "req_" + secrets.token_hex(12)
        try:
            fault = state.fault_for(provider, request.headers.get(FAULT_HEADER))
        except FaultSyntaxError as exc:
            return error_response(dialect, SandboxError(400, f"{FAULT_HEADER}: {exc}"), request_id)
        if fault.hang:
            return WireResponse((), hang=True)
        body, body_error = _parse_json(await request.body())
        state.stats.remember(provider, request.url.path, request.headers, body)
        try:
            _admit(fault, auth, request.headers, body_error)
            return handler(
                Call(
                    provider=provider,
                    body=body,
                    headers=request.headers,
                    fault=fault,
                    latency=state.latency[provider],
                    models=state.models,
                    dialect=dialect,
                    request_id=request_id,
                    path_params=request.path_params,
                )
            )
        except SandboxError as err:
            return error_response(dialect, err, request_id, fault.latency_s)

    return run
