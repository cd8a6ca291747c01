"""Breaker stores: the contract on memory and Redis, and what only Redis can show
(several processes agreeing, one probe under concurrency, the Lua mirror's parity)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from gateway.health.breaker import CLOSED, BreakerStatus, admit, record, to_ms
from gateway.health.breaker_store import BreakerStore, RedisBreakerStore
from gateway.routing.eligibility import CredentialSource, credential_key
from tests.hardening.services import private_redis
from tests.health.conftest import POLICY

T0 = 1_800_000_000.0
PLATFORM = credential_key("openai", CredentialSource.PLATFORM, "org-a")
TENANT = credential_key("openai", CredentialSource.BYOK, "org-a")


async def fail(store: BreakerStore, key: str, times: int, now: float = T0) -> None:
    for i in range(times):
        await store.record(key, False, now + i * 0.01)


async def test_n_failures_open_the_breaker(breakers: BreakerStore) -> None:
    await fail(breakers, PLATFORM, 2)
    assert await breakers.allow(PLATFORM, T0 + 1)
    await breakers.record(PLATFORM, False, T0 + 1)
    assert not await breakers.allow(PLATFORM, T0 + 1)
    assert await breakers.blocked([PLATFORM, "groq:platform"], T0 + 1) == {PLATFORM}


async def test_no_attempt_until_the_cool_down(breakers: BreakerStore) -> None:
    await fail(breakers, PLATFORM, 3)
    opened_at = T0 + 0.02
    for offset in (0, 10, 29.9):
        assert not await breakers.allow(PLATFORM, opened_at + offset)
    assert await breakers.allow(PLATFORM, opened_at + 30)


async def test_half_open_lets_one_probe_through(breakers: BreakerStore) -> None:
    await fail(breakers, PLATFORM, 3)
    later = T0 + 31
    answers = [await breakers.allow(PLATFORM, later + i * 0.1) for i in range(5)]
    assert answers == [True, False, False, False, False]
    assert await breakers.blocked([PLATFORM], later + 1) == {PLATFORM}


async def test_probe_success_closes(breakers: BreakerStore) -> None:
    await fail(breakers, PLATFORM, 3)
    assert await breakers.allow(PLATFORM, T0 + 31)
    state = await breakers.record(PLATFORM, True, T0 + 31.5)
    assert state.status is BreakerStatus.CLOSED
    assert all([await breakers.allow(PLATFORM, T0 + 32) for _ in range(3)])
    assert await breakers.blocked([PLATFORM], T0 + 32) == frozenset()


async def test_probe_failure_reopens(breakers: BreakerStore) -> None:
    await fail(breakers, PLATFORM, 3)
    assert await breakers.allow(PLATFORM, T0 + 31)
    assert (await breakers.record(PLATFORM, False, T0 + 31.5)).status is BreakerStatus.OPEN
    assert not await breakers.allow(PLATFORM, T0 + 60)
    assert await breakers.allow(PLATFORM, T0 + 61.5)


async def test_error_ratio_opens_with_enough_volume(breakers: BreakerStore) -> None:
    for i in range(10):
        await breakers.record(PLATFORM, i % 2 == 0, T0 + i)
    assert not await breakers.allow(PLATFORM, T0 + 10)


async def test_a_tenants_broken_key_never_opens_the_platform_breaker(
    breakers: BreakerStore,
) -> None:
    await fail(breakers, TENANT, 10)
    assert not await breakers.allow(TENANT, T0 + 1)
    assert await breakers.allow(PLATFORM, T0 + 1)
    assert await breakers.blocked([TENANT, PLATFORM], T0 + 1) == {TENANT}


async def test_two_processes_agree_through_redis(redis_url: str) -> None:
    one, two = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    try:
        first = RedisBreakerStore(one, POLICY, cache_ttl_s=0)
        second = RedisBreakerStore(two, POLICY, cache_ttl_s=0)
        await fail(first, PLATFORM, 3)
        assert not await second.allow(PLATFORM, T0 + 1)  # opened by the other process
        assert await second.blocked([PLATFORM], T0 + 1) == {PLATFORM}
        assert await second.allow(PLATFORM, T0 + 31)  # second takes the probe ...
        assert not await first.allow(PLATFORM, T0 + 31.1)  # ... so first gets none
        await second.record(PLATFORM, True, T0 + 31.2)
        assert await first.allow(PLATFORM, T0 + 31.3)  # closed for both
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_cached_process_sees_the_change_when_its_cache_expires(redis_url: str) -> None:
    clock = [0.0]
    one, two = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    try:
        writer = RedisBreakerStore(one, POLICY, cache_ttl_s=0)
        reader = RedisBreakerStore(two, POLICY, cache_ttl_s=1.0, clock=lambda: clock[0])
        assert await reader.allow(PLATFORM, T0)  # closed, now cached
        await fail(writer, PLATFORM, 3)
        assert await reader.allow(PLATFORM, T0 + 0.5)  # still its cached view ...
        clock[0] = 1.0
        assert not await reader.allow(PLATFORM, T0 + 0.6)  # ... until the cache expires
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_closed_breaker_costs_no_round_trip_while_cached(
    async_redis: aioredis.Redis,
) -> None:
    store = RedisBreakerStore(async_redis, POLICY, cache_ttl_s=60)
    assert await store.allow(PLATFORM, T0)
    await async_redis.delete("gw:breaker:" + PLATFORM)
    await async_redis.hset("gw:breaker:" + PLATFORM, mapping={"s": 1, "o": to_ms(T0)})  # type: ignore[misc]
    assert await store.allow(PLATFORM, T0 + 1)  # answered from the cache
    assert (await store.state(PLATFORM)).status is BreakerStatus.OPEN


async def test_concurrent_callers_get_exactly_one_probe(redis_url: str) -> None:
    clients = [aioredis.Redis.from_url(redis_url) for _ in range(4)]
    try:
        stores = [RedisBreakerStore(c, POLICY, cache_ttl_s=0) for c in clients]
        await fail(stores[0], PLATFORM, 3)
        answers = await asyncio.gather(*(stores[i % 4].allow(PLATFORM, T0 + 40) for i in range(40)))
        assert sum(answers) == 1
    finally:
        for client in clients:
            await client.aclose()


async def test_the_lua_mirror_matches_the_pure_transitions(async_redis: aioredis.Redis) -> None:
    """A long random run of allows and results: Redis and the pure functions agree."""
    store = RedisBreakerStore(async_redis, POLICY, cache_ttl_s=0)
    rng = random.Random(7)
    expected = CLOSED
    now = T0
    seen = set()
    for _ in range(600):
        now += rng.choice((0.05, 0.5, 2.0, 9.0, 31.0))
        if rng.random() < 0.4:
            allowed, expected = admit(expected, to_ms(now), POLICY)
            assert await store.allow(PLATFORM, now) is allowed
        else:
            ok = rng.random() < 0.45
            expected = record(expected, ok, to_ms(now), POLICY)
            assert await store.record(PLATFORM, ok, now) == expected
        assert await store.state(PLATFORM) == expected
        seen.add(expected.status)
    assert seen == set(BreakerStatus)


async def test_successes_on_a_closed_breaker_are_batched_and_still_counted(
    async_redis: aioredis.Redis,
) -> None:
    store = RedisBreakerStore(async_redis, POLICY, cache_ttl_s=60, flush_s=60)
    assert await store.allow(PLATFORM, T0)
    for i in range(10):
        await store.record(PLATFORM, True, T0 + i * 0.01)
    assert (await store.state(PLATFORM)).window_total == 0  # nothing sent yet
    await store.flush()
    assert (await store.state(PLATFORM)).window_total == 10


async def test_successes_whose_flush_finds_redis_gone_are_dropped_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with private_redis(tmp_path) as server:
        client = aioredis.Redis.from_url(server.url)
        store = RedisBreakerStore(client, POLICY, cache_ttl_s=60, flush_s=0.05)
        assert await store.allow(PLATFORM, T0)
        await store.record(PLATFORM, True, T0)  # counted here, sent by the flusher
        server.stop()
        await asyncio.sleep(0.5)
        await client.aclose()

    assert store._flusher is None  # it ended, without an exception left unretrieved
    assert "dropped a batch of breaker successes" in caplog.text


async def test_a_failure_carries_the_successes_before_it(async_redis: aioredis.Redis) -> None:
    store = RedisBreakerStore(async_redis, POLICY, cache_ttl_s=60, flush_s=60)
    assert await store.allow(PLATFORM, T0)
    await store.record(PLATFORM, False, T0)
    await store.record(PLATFORM, False, T0 + 0.1)
    for i in range(3):
        await store.record(PLATFORM, True, T0 + 0.2 + i * 0.01)
    state = await store.record(PLATFORM, False, T0 + 0.5)
    # The successes reset the consecutive count before this failure, which is the first again.
    assert (state.consecutive, state.window_total, state.window_failures) == (1, 6, 3)
    assert state.status is BreakerStatus.CLOSED
