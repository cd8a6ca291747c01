"""Cache fixtures: the MiniLM embedder (loaded once per session), tenants, a cache on Redis.

Run with TEST_REDIS_URL pointing at a database of its own when others share the server.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from gateway.cache import CacheConfig, MiniLMEmbedder, SemanticCache
from gateway.tenancy.context import TenantContext

_ORG_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def minilm() -> Iterator[MiniLMEmbedder]:
    embedder = MiniLMEmbedder().load()
    yield embedder
    embedder.close()


@pytest.fixture
def make_tenant() -> Callable[..., TenantContext]:
    """make_tenant(plan="growth", **fields) → a tenant of a fresh organization."""

    def make(plan: str = "growth", **fields: Any) -> TenantContext:
        number = next(_ORG_NUMBERS)
        values: dict[str, Any] = {
            "org_id": f"00000000-0000-0000-0000-{number:012d}",
            "org_slug": f"org{number}",
            "key_id": f"key-{number}",
            "key_prefix": "gw_test",
            "environment": "prod",
            "plan": plan,
            "cache_max_temperature": 1.0,
        }
        values.update(fields)
        return TenantContext(**values)

    return make


class Clock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_cache(
    async_redis: aioredis.Redis, minilm: MiniLMEmbedder, clock: Clock
) -> AsyncIterator[Callable[..., SemanticCache]]:
    """make_cache(**config) → a SemanticCache on the test Redis (one per "process")."""
    caches: list[SemanticCache] = []

    def make(**config: Any) -> SemanticCache:
        cache = SemanticCache(async_redis, minilm, config=CacheConfig(**config), clock=clock)
        caches.append(cache)
        return cache

    yield make
    for cache in caches:
        await cache.drain()


@pytest.fixture
def cache(make_cache: Callable[..., SemanticCache]) -> SemanticCache:
    return make_cache()


def chat(text: str, *, history: list[dict[str, Any]] | None = None, **params: Any) -> dict:
    """A chat request body whose last message is the user's `text`."""
    messages = [*(history or []), {"role": "user", "content": text}]
    return {"model": "gpt-4o-mini", "messages": messages, "temperature": 0, **params}


def completion(content: str, *, finish_reason: str = "stop", **extra: Any) -> dict:
    return {
        "id": "chatcmpl-upstream",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
        **extra,
    }
