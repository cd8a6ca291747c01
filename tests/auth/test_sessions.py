"""Server-side web sessions: opaque tokens, idle and absolute expiry, single-use hand-offs."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from gateway.auth.sessions import SessionStore

pytestmark = pytest.mark.embedded_redis_too


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_session_reads_back_by_its_token_only(async_redis: aioredis.Redis) -> None:
    store = SessionStore(async_redis)
    user, org = uuid.uuid4(), uuid.uuid4()

    token = await store.create(user, org)

    session = await store.get(token)
    assert session is not None and (session.user_id, session.org_id) == (user, org)
    assert await store.get(token + "x") is None
    assert await store.get(None) is None
    assert all(token not in name.decode() for name in await async_redis.keys("*"))


async def test_the_idle_timer_restarts_on_use_and_never_outlives_the_absolute_limit(
    async_redis: aioredis.Redis,
) -> None:
    clock = Clock()
    store = SessionStore(async_redis, idle_ttl_s=600, absolute_ttl_s=1000, clock=clock)
    token = await store.create(uuid.uuid4())
    (name,) = await async_redis.keys("*")
    assert 0 < await async_redis.ttl(name) <= 600

    clock.now += 900
    assert await store.get(token) is not None
    assert 0 < await async_redis.ttl(name) <= 100  # what is left of the absolute lifetime

    clock.now += 101
    assert await store.get(token) is None
    assert await async_redis.exists(name) == 0


async def test_logout_destroys_the_session(async_redis: aioredis.Redis) -> None:
    store = SessionStore(async_redis)
    token = await store.create(uuid.uuid4())

    await store.destroy(token)

    assert await store.get(token) is None


async def test_switching_organization_updates_a_live_session_only(
    async_redis: aioredis.Redis,
) -> None:
    store = SessionStore(async_redis)
    token = await store.create(uuid.uuid4())
    other = uuid.uuid4()

    assert await store.set_org(token, other)
    session = await store.get(token)
    assert session is not None and session.org_id == other
    assert not await store.set_org("no-such-token", other)


async def test_a_hand_off_code_works_once(async_redis: aioredis.Redis) -> None:
    store = SessionStore(async_redis)
    token = await store.create(uuid.uuid4())

    code = await store.issue_handoff(token)

    assert code != token
    assert await store.redeem_handoff(code) == token
    assert await store.redeem_handoff(code) is None
    assert await store.redeem_handoff("") is None
