"""Stage 6, provider execution: try the ranked candidates in turn until one answers.

A candidate is skipped while its breaker is open; an attempt that fails with an
upstream error (connect error, timeout, 429, 5xx, an unreadable answer) moves on to
the next candidate, up to `max_attempts` and within the request's total deadline.
Errors caused by the request itself (a 4xx the provider blames on it) are raised at
once: another provider would refuse the same request. So is an answer over RouterAI's
size cap (`UpstreamResponseTooLarge`): its size follows from the request, so the next
provider would send as much, and every attempt is billed upstream; nor does it count
against the provider's breaker or health (it answered, and one tenant's requests must
not open a breaker for every tenant). Streams fall back only until the first content
reaches the client; after that a break is the relay's to report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from redis.exceptions import RedisError

from gateway.errors import (
    GatewayError,
    UpstreamError,
    UpstreamResponseTooLarge,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.providers.base import ProviderAdapter, StreamTranslator
from gateway.providers.registry import ProviderRegistry
from gateway.providers.transport import Transport
from gateway.routing.selection import Candidate

T = TypeVar("T")
log = logging.getLogger(__name__)


class Gate(Protocol):
    """Breakers, platform quotas and health around each attempt (`routing.attempts`)."""

    async def acquire(self, candidate: Candidate) -> bool: ...

    async def report(
        self, candidate: Candidate, *, status: int | None, latency_ms: float
    ) -> bool: ...


class OpenGate:
    """Lets every attempt through and remembers nothing (no breakers configured)."""

    async def acquire(self, candidate: Candidate) -> bool:
        return True

    async def report(self, candidate: Candidate, *, status: int | None, latency_ms: float) -> bool:
        return status is None or status >= 500


@dataclass(frozen=True, slots=True)
class ExecutionLimits:
    max_attempts: int = 3
    attempt_timeout_s: float = 60.0
    deadline_s: float = 180.0


@dataclass(slots=True)
class Attempts:
    """What happened to one request's candidates, for the record and the routing header."""

    tried: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (provider/model, code)
    skipped: list[str] = field(default_factory=list)  # breaker open or quota full


@dataclass(slots=True)
class StreamStart:
    """A stream that has produced its first content (or finished), ready to relay."""

    candidate: Candidate
    buffered: list[bytes]
    lines: AsyncIterator[bytes]
    translator: StreamTranslator
    began: float
    ttfb_ms: float


Attempt = Callable[[Candidate, ProviderAdapter], Awaitable[T]]


class Executor:
    def __init__(
        self,
        registry: ProviderRegistry,
        transport: Transport,
        *,
        gate: Gate | None = None,
        limits: ExecutionLimits = ExecutionLimits(),
    ) -> None:
        self.registry = registry
        self.transport = transport
        self.gate = gate or OpenGate()
        self.limits = limits

    async def run(
        self, candidates: list[Candidate], attempts: Attempts, attempt: Attempt[T]
    ) -> tuple[Candidate, T]:
        """The first candidate's answer that succeeds, trying them in order."""
        deadline = time.monotonic() + self.limits.deadline_s
        last: GatewayError | None = None
        for candidate in candidates:
            if attempts.tried >= self.limits.max_attempts or time.monotonic() >= deadline:
                break
            if not await self.gate.acquire(candidate):
                attempts.skipped.append(candidate.label)
                continue
            attempts.tried += 1
            timeout = min(self.limits.attempt_timeout_s, deadline - time.monotonic())
            began = time.perf_counter()
            status: int | None
            try:
                async with asyncio.timeout(timeout):
                    result = await attempt(candidate, self.registry.get(candidate.provider))
            except TimeoutError:
                last = UpstreamTimeout(f"{candidate.provider} did not answer within {timeout:.1f}s")
                status = None
            except UpstreamResponseTooLarge:  # the request's size, not the provider's failure
                await self._report(candidate, 200, began)
                raise
            except UpstreamError as exc:
                last, status = exc, exc.status
            except GatewayError as exc:  # the request's own fault: no other provider would do
                await self._report(candidate, exc.status, began)
                raise
            else:
                await self._report(candidate, 200, began)
                return candidate, result
            await self._report(candidate, status, began)
            attempts.failed.append((candidate.label, last.code or last.type))
        raise last or UpstreamUnavailable(
            "No provider is available for this request right now (every eligible provider "
            "is failing); please retry shortly.",
            code="no_provider_available",
        )

    async def start_stream(
        self,
        candidates: list[Candidate],
        attempts: Attempts,
        body_for: Callable[[Candidate], dict[str, Any]],
        include_usage: bool,
    ) -> StreamStart:
        """Open a stream with fallback, reading until its first content is in hand; each
        candidate is sent `body_for(candidate)`."""

        async def attempt(candidate: Candidate, adapter: ProviderAdapter) -> StreamStart:
            request = adapter.chat_request(
                body_for(candidate), candidate.model.id, candidate.api_key, stream=True
            )
            began = time.perf_counter()
            lines = self.transport.stream(request)
            translator = adapter.stream_translator(include_usage=include_usage)
            buffered: list[bytes] = []
            ttfb: float | None = None
            try:
                async for line in lines:
                    ttfb = ttfb if ttfb is not None else (time.perf_counter() - began) * 1000
                    buffered.extend(translator.feed(line))
                    if translator.content_sent or translator.finished:
                        break
            except BaseException:
                await _close(lines)
                raise
            if ttfb is None or not (translator.content_sent or translator.finished):
                await _close(lines)
                raise UpstreamError(
                    f"{candidate.provider} ended the stream before any content",
                    code="stream_interrupted",
                )
            return StreamStart(candidate, buffered, lines, translator, began, ttfb)

        return (await self.run(candidates, attempts, attempt))[1]

    async def _report(self, candidate: Candidate, status: int | None, began: float) -> None:
        """Feed breakers and health; losing that bookkeeping must not lose the answer."""
        try:
            await self.gate.report(
                candidate, status=status, latency_ms=(time.perf_counter() - began) * 1000
            )
        except RedisError:
            log.warning("breaker and health update for %s lost: Redis unreachable", candidate.label)


async def _close(lines: AsyncIterator[bytes]) -> None:
    close = getattr(lines, "aclose", None)
    if close is not None:
        await close()
