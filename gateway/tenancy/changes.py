"""Making an organization's change visible to every gateway process within seconds.

Anything that changes what a tenant context carries (plan, limits, budgets, routing,
allow-lists, credentials) calls `forget_org` after its commit: the cached contexts of
all the organization's keys are dropped from Redis, and every process reloads them once
its one-second local entry expires.
"""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.db.models import ApiKey
from gateway.db.sessions import tenant_session
from gateway.tenancy.resolver import invalidate


def org_key_hashes(engine: Engine, org_id: uuid.UUID) -> list[str]:
    with tenant_session(engine, org_id) as session:
        statement = select(ApiKey.key_hash).where(ApiKey.org_id == org_id)
        return list(session.exec(statement).all())


async def forget_org(engine: Engine, redis: aioredis.Redis, org_id: uuid.UUID) -> None:
    """Drop the cached tenant contexts of every key of the organization."""
    hashes = await asyncio.to_thread(org_key_hashes, engine, org_id)
    await invalidate(redis, hashes)
