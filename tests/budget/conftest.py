"""Admission stores to run the same cases against: in memory and on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from gateway.budget import AdmissionStore, MemoryAdmissionStore, RedisAdmissionStore

STREAM = "gw:usage"


@dataclass
class StoreUnderTest:
    """A store and a way to read back the usage records it appended."""

    store: AdmissionStore
    records: Callable[[], Awaitable[list[dict[str, str]]]]


def memory_store() -> StoreUnderTest:
    store = MemoryAdmissionStore()

    async def records() -> list[dict[str, str]]:
        return list(store.usage)

    return StoreUnderTest(store, records)


def redis_store(client: aioredis.Redis) -> StoreUnderTest:
    async def records() -> list[dict[str, str]]:
        entries = await client.xrange(STREAM)
        return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]

    return StoreUnderTest(RedisAdmissionStore(client, stream_key=STREAM), records)


@pytest.fixture(params=["memory", "redis"])
async def under_test(
    request: pytest.FixtureRequest, redis_url: str
) -> AsyncIterator[StoreUnderTest]:
    if request.param == "memory":
        yield memory_store()
        return
    client = aioredis.Redis.from_url(redis_url)
    yield redis_store(client)
    await client.aclose()
