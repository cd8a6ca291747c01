"""Breaker stores to run the same cases against: in memory and on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from gateway.health.breaker import BreakerPolicy
from gateway.health.breaker_store import BreakerStore, MemoryBreakerStore, RedisBreakerStore

POLICY = BreakerPolicy(
    failure_threshold=3,
    error_ratio=0.5,
    min_volume=10,
    window_s=60,
    cooldown_s=30,
    probe_timeout_s=10,
)


@pytest.fixture(params=["memory", "redis"])
async def breakers(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[BreakerStore]:
    if request.param == "memory":
        yield MemoryBreakerStore(POLICY)
        return
    client = aioredis.Redis.from_url(redis_url)
    yield RedisBreakerStore(client, POLICY, cache_ttl_s=0)
    await client.aclose()
