"""Provider health: the EWMA, its Lua mirror, batched writes and the cached snapshot."""

from __future__ import annotations

import asyncio
import random

import pytest
import redis.asyncio as aioredis

from gateway.health.ewma import ALPHA, ProviderHealth, observe
from gateway.health.store import HealthStore

NOW = 1_800_000_000.0


def test_the_error_rate_moves_by_alpha_from_zero() -> None:
    h = observe(None, 100, False, NOW)
    assert h.error_rate == pytest.approx(ALPHA) and h.latency_ms is None and h.samples == 1
    h = observe(h, 300, True, NOW + 1)
    assert h.error_rate == pytest.approx(ALPHA * (1 - ALPHA))
    assert h.latency_ms == 300  # the first success sets the latency
    h = observe(h, 100, True, NOW + 2)
    assert h.latency_ms == pytest.approx(300 + ALPHA * (100 - 300))
    assert (h.samples, h.updated_at) == (3, NOW + 2)


def test_failures_do_not_move_the_latency() -> None:
    h = observe(None, 200, True, NOW)
    assert observe(h, 60_000, False, NOW).latency_ms == 200


def test_freshness() -> None:
    h = ProviderHealth(100.0, 0.0, 1, NOW)
    assert h.is_fresh(NOW + 300) and not h.is_fresh(NOW + 301)


async def test_the_store_matches_the_pure_ewma(async_redis: aioredis.Redis) -> None:
    store = HealthStore(async_redis, cache_ttl_s=0, wall_clock=lambda: NOW)
    rng = random.Random(3)
    expected: dict[str, ProviderHealth] = {}
    for i in range(200):
        provider = rng.choice(("openai", "groq", "anthropic"))
        latency, ok = rng.uniform(50, 3_000), rng.random() < 0.8
        store.observe(provider, latency, ok)
        expected[provider] = observe(expected.get(provider), latency, ok, NOW)
        if i == 99:  # two batches, interleaved providers: the second starts from the first's
            await store.flush()
    await store.close()
    snapshot = await store.snapshot()
    assert set(snapshot) == set(expected)
    for provider, health in expected.items():  # to the bit: '%.17g' round-trips a double
        assert snapshot[provider] == health


async def test_observations_are_sent_in_one_batch(async_redis: aioredis.Redis) -> None:
    store = HealthStore(async_redis, cache_ttl_s=0, flush_delay_s=0.05)
    for _ in range(50):
        store.observe("groq", 120, True)
    seen = []
    for _ in range(40):  # poll until the batch lands: it lands whole
        snapshot = await store.snapshot()
        if snapshot:
            seen.append(snapshot["groq"].samples)
            break
        await asyncio.sleep(0.01)
    assert seen == [50]
    store.observe("groq", 120, False)  # a later sample starts the next batch
    await store.close()
    assert (await store.snapshot())["groq"].samples == 51


async def test_the_snapshot_is_cached(async_redis: aioredis.Redis) -> None:
    clock = [0.0]
    writer = HealthStore(async_redis, cache_ttl_s=0)
    reader = HealthStore(async_redis, cache_ttl_s=1.0, clock=lambda: clock[0])
    assert await reader.snapshot() == {}
    writer.observe("openai", 500, True)
    await writer.close()
    assert await reader.snapshot() == {}  # within a second: the cached read
    clock[0] = 1.0
    assert (await reader.snapshot())["openai"].latency_ms == 500


async def test_concurrent_snapshots_share_one_read(async_redis: aioredis.Redis) -> None:
    writer = HealthStore(async_redis)
    writer.observe("openai", 500, True)
    await writer.close()
    reader = HealthStore(async_redis, cache_ttl_s=1.0)
    results = await asyncio.gather(*(reader.snapshot() for _ in range(10)))
    assert all(r is results[0] for r in results)
