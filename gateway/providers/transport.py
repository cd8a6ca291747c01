"""The one module that talks to upstream providers over HTTP.

The transport was chosen by measurement. Behind the same bare pass-through proxy on this
class of machine, one shared `httpx.AsyncClient` carried ~520 req/s and one shared
`aiohttp.ClientSession` ~7,900; the calls that answer in one piece now go through
`Http1Client` (gateway.providers.http1), a kept-alive HTTP/1.1 client that carried about
half as much again as aiohttp. Streams stay on aiohttp. Adapters never await anything;
they hand an `UpstreamRequest` here and get bytes or lines back.

Failures are mapped once, here, into the gateway's error tree:
connect errors → UpstreamUnavailable (503), timeouts → UpstreamTimeout (504),
upstream 429 → UpstreamUnavailable, upstream 5xx / credential refusals →
UpstreamError (502), upstream 4xx caused by the request → InvalidRequest
carrying the upstream's own message, and an answer larger than `max_response_bytes`
(a stream's lines counted together) → UpstreamResponseTooLarge (502), raised as the byte
past the cap arrives, so no more than that is ever held.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import orjson
from aiohttp.http_exceptions import LineTooLong

from gateway.errors import (
    GatewayError,
    InvalidRequest,
    NotFound,
    UpstreamError,
    UpstreamResponseTooLarge,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.providers.base import UpstreamRequest
from gateway.providers.http1 import (
    MAX_BODY_BYTES,
    Http1Client,
    UpstreamConnectError,
    UpstreamDisconnected,
    UpstreamTooLarge,
)

ERROR_BODY_BYTES = 64 * 1024
"""How much of a failed stream request's answer is read for its reason."""


class Transport:
    """Sends requests upstream: one `Http1Client` and one aiohttp session (for streams)."""

    def __init__(
        self,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_response_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout_s, sock_read=read_timeout_s
        )
        self._max_response = max_response_bytes
        self._client = Http1Client(
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=read_timeout_s,
            max_body_bytes=max_response_bytes,
        )
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def close(self) -> None:
        await self._client.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, request: UpstreamRequest) -> bytes:
        """Send (POST unless the request says otherwise) and return a 2xx answer's body;
        raise a GatewayError otherwise."""
        try:
            status, body = await self._client.request(
                request.method, request.url, request.headers, request.body
            )
        except (TimeoutError, UpstreamConnectError, UpstreamDisconnected, ValueError) as exc:
            raise _connection_error(request.provider, exc) from None
        except UpstreamTooLarge as exc:
            raise response_too_large(request.provider, exc.limit) from None
        if status >= 300:
            raise upstream_status_error(request.provider, status, body)
        return body

    async def status(self, request: UpstreamRequest) -> int | None:
        """The HTTP status the upstream answers `request` with, None when it cannot be reached."""
        try:
            async with self.session.request(
                request.method, request.url, data=request.body or None, headers=request.headers
            ) as response:
                return response.status
        except (TimeoutError, aiohttp.ClientError):
            return None

    async def stream(self, request: UpstreamRequest) -> AsyncIterator[bytes]:
        """POST and yield the answer line by line (newlines stripped).

        Errors before the first line raise the mapped GatewayError; a break after
        it raises UpstreamError from the iteration, which the caller turns into an
        explicit error event for the client. So does a stream whose lines add up to more
        than `max_response_bytes`, or one line longer than aiohttp reads (512 KiB): it is
        not read further.
        """
        room = self._max_response
        try:
            async with self.session.post(
                request.url, data=request.body, headers=request.headers
            ) as response:
                if response.status >= 300:
                    reason = await _head_of(response.content, ERROR_BODY_BYTES)
                    raise upstream_status_error(request.provider, response.status, reason)
                async for line in response.content:
                    room -= len(line)
                    if room < 0:
                        raise response_too_large(request.provider, self._max_response)
                    yield line.rstrip(b"\r\n")
        except GatewayError:
            raise
        except LineTooLong as exc:
            raise UpstreamResponseTooLarge(
                f"{request.provider} sent a line longer than RouterAI reads in a stream "
                f"({exc.args[1]} bytes)"
            ) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _connection_error(request.provider, exc) from None


def upstream_status_error(provider: str, status: int, body: bytes) -> GatewayError:
    """Map an upstream's non-2xx answer to the error the client should see."""
    reason = _upstream_message(body) or f"HTTP {status}"
    if status in (401, 403):
        # The provider's own message may echo (part of) the key: never relay it.
        return UpstreamError(
            f"{provider} refused the credential RouterAI used (HTTP {status})",
            code="upstream_auth_failed",
        )
    if status == 404:
        return NotFound(f"{provider}: {reason}", code="model_not_found")
    if status == 429:
        return UpstreamUnavailable(
            f"{provider} is rate limiting requests: {reason}", code="upstream_rate_limited"
        )
    if 400 <= status < 500:
        return InvalidRequest(
            f"{provider} rejected the request: {reason}", code="upstream_invalid_request"
        )
    if status in (503, 529):
        return UpstreamUnavailable(f"{provider} is unavailable: {reason}")
    if status == 504:
        return UpstreamTimeout(f"{provider} timed out: {reason}")
    return UpstreamError(f"{provider} failed: {reason}")


async def _head_of(content: aiohttp.StreamReader, limit: int) -> bytes:
    """At most the first `limit` bytes of a body (an error's reason is near its start)."""
    chunks, size = [], 0
    while size < limit:
        chunk = await content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def response_too_large(provider: str, limit: int) -> UpstreamResponseTooLarge:
    return UpstreamResponseTooLarge(
        f"{provider}'s answer is larger than RouterAI accepts from a provider "
        f"({limit:,} bytes); it was not read to its end"
    )


def _upstream_message(body: bytes) -> str | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace").strip() or None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "") or None
    if isinstance(error, str):
        return error
    return None


def _connection_error(provider: str, exc: BaseException) -> GatewayError:
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return UpstreamTimeout(f"{provider} did not answer in time")
    if isinstance(exc, aiohttp.ClientConnectorError | UpstreamConnectError):
        return UpstreamUnavailable(f"could not connect to {provider}")
    return UpstreamError(f"the connection to {provider} failed: {type(exc).__name__}")
