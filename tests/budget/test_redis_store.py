"""What only the Redis store can show: key layout, TTLs, lost scripts, real concurrency."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.crc import key_slot

from gateway.budget import Admission, Limits, RedisAdmissionStore, Settlement
from gateway.budget.redis_store import budget_key, key_scope_key, org_scope_key
from gateway.ratelimit.window import SCOPE_TTL_S

pytestmark = pytest.mark.embedded_redis_too

T0 = 1_800_000_000.0
LIMITS = Limits(
    org_rpm=1000,
    org_tpm=10**9,
    key_rpm=500,
    key_tpm=None,
    budget_tokens=None,
    budget_usd_micro=None,
)


def _adm(tokens: int = 100, cost: int = 10, limits: Limits = LIMITS) -> Admission:
    return Admission("acme", "key-1", limits, tokens, cost, "2026-11-05", 3600, T0)


def test_an_orgs_keys_share_one_cluster_slot() -> None:
    keys = [org_scope_key("acme"), key_scope_key("acme", "k1"), budget_key("acme", "2026-11-05")]
    assert keys == ["gw:rl:{acme}:org", "gw:rl:{acme}:key:k1", "gw:budget:{acme}:2026-11-05"]
    assert len({key_slot(key.encode()) for key in keys}) == 1


async def test_counters_expire(async_redis: aioredis.Redis) -> None:
    store = RedisAdmissionStore(async_redis)
    admission = _adm()
    await store.settle(Settlement(admission, await store.admit(admission), 50, 5), None)
    assert 0 < await async_redis.ttl(org_scope_key("acme")) <= SCOPE_TTL_S
    assert 0 < await async_redis.ttl(key_scope_key("acme", "key-1")) <= SCOPE_TTL_S
    assert 3590 < await async_redis.ttl(budget_key("acme", "2026-11-05")) <= 3600


async def test_a_key_without_limits_of_its_own_is_not_counted(
    async_redis: aioredis.Redis,
) -> None:
    store = RedisAdmissionStore(async_redis)
    limits = Limits(100, 10_000, None, None, None, None)
    assert (await store.admit(_adm(limits=limits))).admitted
    assert not await async_redis.exists(key_scope_key("acme", "key-1"))


async def test_scripts_lost_by_the_server_are_loaded_again(async_redis: aioredis.Redis) -> None:
    store = RedisAdmissionStore(async_redis)
    admission = _adm()
    await async_redis.script_flush()
    result = await store.admit(admission)
    await async_redis.script_flush()
    await store.settle(Settlement(admission, result, 60, 6), {"request_id": "r1"})
    await async_redis.script_flush()
    await store.settle(Settlement(admission, result, 0, 0), None)
    assert await store.spend("acme", "2026-11-05") == (60, 6)
    assert await async_redis.xlen("gw:usage") == 1  # appended once, not retried


async def test_the_usage_stream_is_not_trimmed(async_redis: aioredis.Redis) -> None:
    store = RedisAdmissionStore(async_redis, stream_key="gw:usage:test")
    admission = _adm()
    result = await store.admit(admission)
    for i in range(300):
        await store.settle(Settlement(admission, result, 0, 0), {"request_id": f"r{i}"})
    assert await async_redis.xlen("gw:usage:test") == 300


async def test_concurrent_requests_never_overspend_the_budget(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, max_connections=200)
    store = RedisAdmissionStore(client)
    limits = Limits(10_000, 10**9, None, None, budget_tokens=1000, budget_usd_micro=10_000)
    admissions = [_adm(tokens=100, cost=1000, limits=limits) for _ in range(100)]
    await store.seed_spend("acme", admissions[0].period_id, 0, 0, 86_400)
    results = await asyncio.gather(*(store.admit(a) for a in admissions))
    admitted = [(a, r) for a, r in zip(admissions, results, strict=True) if r.admitted]
    assert len(admitted) == 10  # exactly the affordable ones
    await asyncio.gather(*(store.settle(Settlement(a, r, 80, 800), None) for a, r in admitted))
    tokens, usd = await store.spend("acme", "2026-11-05")
    assert (tokens, usd) == (800, 8000)
    assert tokens <= 1000 and usd <= 10_000
    more = await asyncio.gather(*(store.admit(a) for a in admissions[:10]))
    assert sum(r.admitted for r in more) == 2  # 200 tokens / 2,000 micro-USD were left
    await client.aclose()
