"""Making an organization's change visible to every gateway process at once.

Anything that changes what a tenant context carries (plan, limits, budgets, routing,
allow-lists, cache settings, credentials, keys) calls `forget_org` after its commit (or
`invalidate` for single keys): the cached contexts are dropped from Redis and announced on
`TENANT_CHANGES`. Every gateway process listens there (`listen_for_changes`) and drops its
in-process entries (tenant contexts; the organization's provider keys) as the announcement
arrives, so the next request loads the change instead of waiting for a local entry to
expire. Should an announcement be lost (the listener reconnecting), local entries still
expire within their TTL (1 s for contexts, 30 s for provider keys).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlmodel import select

from gateway.db.models import ApiKey
from gateway.db.sessions import tenant_session
from gateway.tenancy.resolver import TENANT_CHANGES, invalidate

RECONNECT_S = 1.0
log = logging.getLogger("routerai.tenancy")


def org_key_hashes(engine: Engine, org_id: uuid.UUID) -> list[str]:
    with tenant_session(engine, org_id) as session:
        statement = select(ApiKey.key_hash).where(ApiKey.org_id == org_id)
        return list(session.exec(statement).all())


async def forget_org(engine: Engine, redis: aioredis.Redis, org_id: uuid.UUID) -> None:
    """Drop every cached context of the organization's keys, and its provider keys, in Redis
    and in every process."""
    hashes = await asyncio.to_thread(org_key_hashes, engine, org_id)
    await invalidate(redis, hashes)
    await redis.publish(TENANT_CHANGES, f"org {org_id}")


async def listen_for_changes(
    redis: aioredis.Redis,
    *,
    forget_keys: Callable[[Iterable[str]], None],
    forget_org: Callable[[str], None],
) -> None:
    """Apply every announcement on `TENANT_CHANGES` to this process, until cancelled."""
    while True:
        try:
            async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(TENANT_CHANGES)
                async for message in pubsub.listen():
                    kind, _, rest = bytes(message["data"]).decode().partition(" ")
                    if kind == "keys":
                        forget_keys(rest.split())
                    elif kind == "org":
                        forget_org(rest)
        except (RedisError, OSError):
            log.warning("listening for tenant changes failed; reconnecting")
            await asyncio.sleep(RECONNECT_S)
