"""API key management for the dashboard: list, create, revoke and rotate, by role.

Every change checks the member's role first (viewers change nothing), runs in the
organization's tenant session, and a revocation drops the key's cached tenant context
from Redis so every gateway process refuses the key within about a second.

Rotation creates a key with the old one's name and environment; the old key is revoked
at once, or after a grace period. A pending revocation is a member of the Redis sorted
set `gw:web:key_revocations` (scored by its due time); `revoke_due` carries it out and
is run every few seconds by the web app (any number of processes may run it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.permissions import Action, Actor, require
from gateway.db.enums import KeyEnvironment
from gateway.db.models import ApiKey
from gateway.db.orgs import get_org
from gateway.db.sessions import tenant_session
from gateway.tenancy.keys import (
    KeyNotFoundError,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from gateway.tenancy.resolver import invalidate

PENDING_REVOCATIONS = "gw:web:key_revocations"
GRACE_PERIODS_S: tuple[int, ...] = (0, 3600, 24 * 3600)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """An API key as the dashboard lists it (never its hash)."""

    id: uuid.UUID
    name: str
    prefix: str
    environment: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revokes_at: datetime | None

    @property
    def status(self) -> str:
        """active, expiring (a rotation's grace period runs) or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expiring" if self.revokes_at is not None else "active"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created: its row, and its full value (shown once)."""

    row: KeyRow
    api_key: str


class KeyManager:
    """The organization's API keys, as the dashboard changes them."""

    def __init__(
        self, engine: Engine, redis: aioredis.Redis, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._clock = clock

    async def list_keys(self, actor: Actor) -> list[KeyRow]:
        """Every key of the organization, newest first, revoked ones included."""
        require(actor.role, Action.VIEW)
        keys = await asyncio.to_thread(self._list, actor.org_id)
        due = await self._pending(actor.org_id, [key.id for key in keys])
        return [_row(key, due.get(key.id)) for key in keys]

    async def create(self, actor: Actor, *, name: str, environment: str) -> IssuedKey:
        """A new key (ValueError for a bad name or environment)."""
        require(actor.role, Action.MANAGE_KEYS)
        key, full_key = await asyncio.to_thread(
            self._create, actor, name, KeyEnvironment(environment)
        )
        return IssuedKey(_row(key, None), full_key)

    async def revoke(self, actor: Actor, key_id: uuid.UUID) -> KeyRow:
        """Revoke now; the gateway refuses the key on every process within about a second."""
        require(actor.role, Action.MANAGE_KEYS)
        key = await asyncio.to_thread(self._revoke, actor.org_id, key_id)
        await invalidate(self._redis, [key.key_hash])
        await self._redis.zrem(PENDING_REVOCATIONS, _member(actor.org_id, key_id))
        return _row(key, None)

    async def rotate(self, actor: Actor, key_id: uuid.UUID, *, grace_s: int = 0) -> IssuedKey:
        """A replacement key; the old one is revoked now, or after `grace_s` seconds."""
        require(actor.role, Action.MANAGE_KEYS)
        if grace_s not in GRACE_PERIODS_S:
            raise ValueError(f"grace period must be one of {GRACE_PERIODS_S} seconds")
        keys = await asyncio.to_thread(self._list, actor.org_id)
        old = next((key for key in keys if key.id == key_id), None)
        if old is None or old.revoked_at is not None:
            raise LookupError("no active key with this id in the organization")
        issued = await self.create(actor, name=old.name, environment=old.environment.value)
        if grace_s == 0:
            await self.revoke(actor, key_id)
        else:
            due = self._clock() + grace_s
            await self._redis.zadd(PENDING_REVOCATIONS, {_member(actor.org_id, key_id): due})
        return issued

    async def revoke_due(self) -> int:
        """Carry out the pending revocations that are due; returns how many."""
        members = await self._redis.zrangebyscore(PENDING_REVOCATIONS, "-inf", self._clock())
        done = 0
        for member in members:
            org_id, key_id = _parse_member(member)
            try:
                key = await asyncio.to_thread(self._revoke, org_id, key_id)
            except KeyNotFoundError:  # the organization (and its keys) went meanwhile
                key = None
            if key is not None:
                await invalidate(self._redis, [key.key_hash])
                done += 1
            await self._redis.zrem(PENDING_REVOCATIONS, member)
        return done

    def _list(self, org_id: uuid.UUID) -> list[ApiKey]:
        with tenant_session(self._engine, org_id) as session:
            return list_api_keys(session, org_id=org_id)

    def _create(self, actor: Actor, name: str, environment: KeyEnvironment) -> tuple[ApiKey, str]:
        with tenant_session(self._engine, actor.org_id) as session:
            org = get_org(session, org_id=actor.org_id)
            if org is None:
                raise LookupError("the organization no longer exists")
            return create_api_key(
                session, org=org, name=name, environment=environment, created_by=actor.user_id
            )

    def _revoke(self, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
        with tenant_session(self._engine, org_id) as session:
            return revoke_api_key(session, org_id=org_id, key_id=key_id)

    async def _pending(
        self, org_id: uuid.UUID, key_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, datetime]:
        if not key_ids:
            return {}
        scores = await self._redis.zmscore(
            PENDING_REVOCATIONS, [_member(org_id, key_id) for key_id in key_ids]
        )
        return {
            key_id: datetime.fromtimestamp(float(score), UTC)
            for key_id, score in zip(key_ids, scores, strict=True)
            if score is not None
        }


def _row(key: ApiKey, revokes_at: datetime | None) -> KeyRow:
    return KeyRow(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        environment=key.environment.value,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        revokes_at=revokes_at if key.revoked_at is None else None,
    )


def _member(org_id: uuid.UUID, key_id: uuid.UUID) -> str:
    return f"{org_id}:{key_id}"


def _parse_member(member: bytes | str) -> tuple[uuid.UUID, uuid.UUID]:
    text = member.decode() if isinstance(member, bytes) else member
    org_id, _, key_id = text.partition(":")
    return uuid.UUID(org_id), uuid.UUID(key_id)
