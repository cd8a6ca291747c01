"""The gate around each upstream attempt: breakers, the platform quota, live health."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from gateway.credentials.secret import ProviderSecret
from gateway.health.breaker import BreakerPolicy, BreakerStatus
from gateway.health.breaker_store import MemoryBreakerStore
from gateway.routing.attempts import AttemptGate
from gateway.routing.eligibility import CredentialSource, credential_key
from gateway.routing.selection import Candidate
from tests.routing.helpers import FIXED, NOW, ORG

MID = FIXED.serving("mid")[0]


def candidate(source: CredentialSource = CredentialSource.PLATFORM) -> Candidate:
    key = credential_key("openai", source, ORG)
    return Candidate(MID, ProviderSecret("openai", "sk-0123456789abcdef"), source, key, 100)


@dataclass
class Health:
    seen: list[tuple[str, float, bool]] = field(default_factory=list)

    def observe(self, provider: str, latency_ms: float, ok: bool) -> None:
        self.seen.append((provider, latency_ms, ok))


@dataclass
class Quota:
    room: int
    asked: list[str] = field(default_factory=list)

    async def acquire(self, provider: str, now: float) -> bool:
        self.asked.append(provider)
        self.room -= 1
        return self.room >= 0


def gate(quota: Quota | None = None) -> tuple[AttemptGate, MemoryBreakerStore, Health]:
    breakers = MemoryBreakerStore(BreakerPolicy(failure_threshold=2))
    health = Health()
    return (
        AttemptGate(breakers=breakers, health=health, platform_quota=quota, clock=lambda: NOW),
        breakers,
        health,
    )


async def test_failures_feed_health_and_open_the_breaker() -> None:
    g, breakers, health = gate()
    c = candidate()
    assert await g.acquire(c)
    assert await g.report(c, status=503, latency_ms=40.0)
    assert await g.report(c, status=None, latency_ms=5_000.0)
    assert health.seen == [("openai", 40.0, False), ("openai", 5_000.0, False)]
    assert (await breakers.state(c.credential_key)).status is BreakerStatus.OPEN
    assert not await g.acquire(c)


@pytest.mark.parametrize("status", [200, 400, 404])
async def test_successes_and_client_errors_count_as_healthy(status: int) -> None:
    g, breakers, health = gate()
    for _ in range(3):
        assert not await g.report(candidate(), status=status, latency_ms=12.0)
    assert health.seen == [("openai", 12.0, True)] * 3
    assert (await breakers.state(candidate().credential_key)).status is BreakerStatus.CLOSED


async def test_the_platform_quota_applies_to_platform_keys_only() -> None:
    quota = Quota(room=1)
    g, _, _ = gate(quota)
    assert await g.acquire(candidate())
    assert not await g.acquire(candidate())
    assert await g.acquire(candidate(CredentialSource.BYOK))
    assert quota.asked == ["openai", "openai"]


async def test_an_open_breaker_spends_no_quota() -> None:
    quota = Quota(room=10)
    g, breakers, _ = gate(quota)
    for _ in range(2):
        await breakers.record(candidate().credential_key, False, NOW)
    assert not await g.acquire(candidate())
    assert quota.asked == []
