"""`AttemptGate`: what the executor does around each upstream attempt, in two calls.

    for candidate in plan.candidates:                     # the failover order
        if not await gate.acquire(candidate):             # breaker open / platform quota full
            continue
        began = time.perf_counter()
        ... call the provider; status = its HTTP status, None if no answer ...
        await gate.report(candidate, status=status, latency_ms=elapsed)

`acquire` asks the candidate's breaker first (where a half-open probe is claimed, one for all
processes), then, for platform keys only, the platform-wide quota. `report` feeds the live
health (batched, never blocks) and the breaker; what counts as a failure is
`gateway.health.breaker.is_provider_failure` (no answer, 401/403, 408, 429, 5xx).
The gate holds no I/O of its own: its three parts are injected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from gateway.health.breaker import is_provider_failure
from gateway.routing.eligibility import CredentialSource
from gateway.routing.selection import Candidate


class Breakers(Protocol):
    async def allow(self, key: str, now: float) -> bool: ...

    async def record(self, key: str, ok: bool, now: float) -> Any: ...


class HealthRecorder(Protocol):
    def observe(self, provider: str, latency_ms: float, ok: bool) -> None: ...


class PlatformQuota(Protocol):
    async def acquire(self, provider: str, now: float) -> bool: ...


class AttemptGate:
    def __init__(
        self,
        *,
        breakers: Breakers,
        health: HealthRecorder,
        platform_quota: PlatformQuota | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._breakers = breakers
        self._health = health
        self._quota = platform_quota
        self._clock = clock

    async def acquire(self, candidate: Candidate) -> bool:
        """May an attempt on `candidate` go out now? (False: move on to the next one.)"""
        now = self._clock()
        if not await self._breakers.allow(candidate.credential_key, now):
            return False
        if self._quota is None or candidate.credential_source is not CredentialSource.PLATFORM:
            return True
        return await self._quota.acquire(candidate.provider, now)

    async def report(self, candidate: Candidate, *, status: int | None, latency_ms: float) -> bool:
        """Record an attempt's outcome; returns whether it counted as a provider failure."""
        failed = is_provider_failure(status)
        self._health.observe(candidate.provider, latency_ms, not failed)
        await self._breakers.record(candidate.credential_key, not failed, self._clock())
        return failed
