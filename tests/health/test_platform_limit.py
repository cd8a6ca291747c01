"""The platform-wide rate limit on RouterAI's own provider keys."""

from __future__ import annotations

import redis.asyncio as aioredis

from gateway.health.platform_limit import PlatformLimit, PlatformRateLimiter, limit_keys

T0 = 1_800_000_040.0  # 40 s into a minute


async def test_per_second_limit_refuses_without_counting(async_redis: aioredis.Redis) -> None:
    limiter = PlatformRateLimiter(async_redis, {"ollama": PlatformLimit(per_second=3)})
    assert [await limiter.acquire("ollama", T0 + 0.1) for _ in range(5)] == [True] * 3 + [False] * 2
    assert await async_redis.get(limit_keys("ollama", T0)[0]) == b"3"
    assert await limiter.acquire("ollama", T0 + 1.0)  # the next second


async def test_per_minute_limit(async_redis: aioredis.Redis) -> None:
    limiter = PlatformRateLimiter(async_redis, {"openai": PlatformLimit(per_minute=4)})
    answers = [await limiter.acquire("openai", T0 + i) for i in range(6)]
    assert answers == [True] * 4 + [False] * 2
    assert await limiter.acquire("openai", T0 + 20)  # the next minute


async def test_both_limits_and_providers_are_independent(async_redis: aioredis.Redis) -> None:
    limits = {"groq": PlatformLimit(per_second=2, per_minute=3), "openai": PlatformLimit(1, 1)}
    limiter = PlatformRateLimiter(async_redis, limits)
    assert [await limiter.acquire("groq", T0) for _ in range(3)] == [True, True, False]
    assert await limiter.acquire("groq", T0 + 1)
    assert not await limiter.acquire("groq", T0 + 2)  # minute full
    assert await limiter.acquire("openai", T0)


async def test_a_provider_without_limit_is_never_refused(async_redis: aioredis.Redis) -> None:
    limiter = PlatformRateLimiter(async_redis, {})
    assert all([await limiter.acquire("together", T0) for _ in range(100)])
    assert await async_redis.keys("gw:prl:*") == []


async def test_processes_share_the_limit(redis_url: str) -> None:
    one, two = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    try:
        limits = {"groq": PlatformLimit(per_second=2)}
        first, second = PlatformRateLimiter(one, limits), PlatformRateLimiter(two, limits)
        assert await first.acquire("groq", T0)
        assert await second.acquire("groq", T0)
        assert not await first.acquire("groq", T0)
    finally:
        await one.aclose()
        await two.aclose()
