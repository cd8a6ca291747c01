"""The tenant resolver: bad keys are 401, good ones are cached in process and in Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from gateway.errors import AuthenticationError
from gateway.tenancy.context import TenantContext
from gateway.tenancy.keys import hash_api_key
from gateway.tenancy.resolver import TenantResolver, invalidate, tenant_cache_key

KEY = "gw_acme_prod_" + "A" * 32
CONTEXT = TenantContext(
    org_id="o-1",
    org_slug="acme",
    key_id="k-1",
    key_prefix="gw_acme_prod_AAAA…",
    environment="prod",
    plan="growth",
    allowed_models=("gpt-4o",),
)


class Loader:
    def __init__(self, context: TenantContext | None) -> None:
        self.context = context
        self.calls = 0

    async def __call__(self, key: str) -> TenantContext | None:
        self.calls += 1
        return self.context if key == KEY else None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Basic abc", "Bearer sk-openai-key", "Bearer gw_" + "x" * 300]
)
async def test_malformed_headers_are_refused_without_a_lookup(
    async_redis: aioredis.Redis, header: str | None
) -> None:
    loader = Loader(CONTEXT)
    with pytest.raises(AuthenticationError) as caught:
        await TenantResolver(async_redis, loader).resolve(header)
    assert caught.value.status == 401 and caught.value.code == "invalid_api_key"
    assert loader.calls == 0


async def test_a_context_round_trips_through_redis(async_redis: aioredis.Redis) -> None:
    first = TenantResolver(async_redis, Loader(CONTEXT))
    assert await first.resolve(f"Bearer {KEY}") == CONTEXT
    other_process = TenantResolver(async_redis, Loader(None))
    assert await other_process.resolve(f"Bearer {KEY}") == CONTEXT  # from Redis, not the DB


async def test_the_local_cache_expires_and_sees_invalidation(async_redis: aioredis.Redis) -> None:
    clock = Clock()
    loader = Loader(CONTEXT)
    resolver = TenantResolver(async_redis, loader, local_ttl_s=1.0, clock=clock)
    await resolver.resolve(f"Bearer {KEY}")
    loader.context = None  # the key is revoked in the database
    await invalidate(async_redis, [hash_api_key(KEY)])
    assert await resolver.resolve(f"Bearer {KEY}") == CONTEXT  # still within its local TTL
    clock.now += 1.01
    with pytest.raises(AuthenticationError):
        await resolver.resolve(f"Bearer {KEY}")
    assert await async_redis.get(tenant_cache_key(hash_api_key(KEY))) == b"-"


async def test_concurrent_misses_share_one_load(async_redis: aioredis.Redis) -> None:
    import asyncio

    loader = Loader(CONTEXT)
    resolver = TenantResolver(async_redis, loader)
    results = await asyncio.gather(*[resolver.resolve(f"Bearer {KEY}") for _ in range(20)])
    assert results == [CONTEXT] * 20
    assert loader.calls == 1


async def test_unknown_keys_are_401_and_negatively_cached(async_redis: aioredis.Redis) -> None:
    loader = Loader(CONTEXT)
    unknown = "gw_acme_prod_" + "B" * 32
    for resolver in (TenantResolver(async_redis, loader), TenantResolver(async_redis, loader)):
        with pytest.raises(AuthenticationError):
            await resolver.resolve(f"Bearer {unknown}")
    assert loader.calls == 1
