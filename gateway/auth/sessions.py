"""Server-side web sessions in Redis, behind an opaque random token.

The browser holds only the token (in an HttpOnly, SameSite cookie); Redis holds the
session under the token's SHA-256, so a leaked Redis dump holds no usable token. A
session ends when it is idle for `idle_ttl_s`, after `absolute_ttl_s` whatever
happens, or on logout.

A *hand-off code* carries a new session from an event handler (which cannot set an
HttpOnly cookie) to one HTTP request that can: single use, valid for a minute.

Keys: `gw:web:session:<sha256(token)>` (a hash: user_id, org_id, expires_at) and
`gw:web:handoff:<sha256(code)>` (the session token).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

SESSION_PREFIX = "gw:web:session:"
HANDOFF_PREFIX = "gw:web:handoff:"
DEFAULT_IDLE_TTL_S = 7 * 24 * 3600
DEFAULT_ABSOLUTE_TTL_S = 30 * 24 * 3600
HANDOFF_TTL_S = 60
TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: who is signed in, and the organization they are looking at."""

    user_id: uuid.UUID
    org_id: uuid.UUID | None
    expires_at: float


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SessionStore:
    """Creates, reads, updates and ends web sessions in Redis."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        idle_ttl_s: int = DEFAULT_IDLE_TTL_S,
        absolute_ttl_s: int = DEFAULT_ABSOLUTE_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._idle_ttl_s = idle_ttl_s
        self._absolute_ttl_s = absolute_ttl_s
        self._clock = clock

    @property
    def absolute_ttl_s(self) -> int:
        return self._absolute_ttl_s

    async def create(self, user_id: uuid.UUID, org_id: uuid.UUID | None = None) -> str:
        """A new session for `user_id`; returns its token (never stored as such)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        fields = {
            "user_id": str(user_id),
            "org_id": "" if org_id is None else str(org_id),
            "expires_at": f"{self._clock() + self._absolute_ttl_s:.3f}",
        }
        name = SESSION_PREFIX + _digest(token)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(name, mapping=fields)
            pipe.expire(name, min(self._idle_ttl_s, self._absolute_ttl_s))
            await pipe.execute()
        return token

    async def get(self, token: str | None) -> WebSession | None:
        """The session behind `token`, or None; a live one's idle timer starts again."""
        if not token:
            return None
        name = SESSION_PREFIX + _digest(token)
        raw = await self._redis.hgetall(name)  # type: ignore[misc]
        if not raw:
            return None
        session = _parse(raw)
        remaining = session.expires_at - self._clock() if session else 0.0
        if session is None or remaining <= 0:
            await self._redis.delete(name)
            return None
        await self._redis.expire(name, max(1, int(min(self._idle_ttl_s, remaining))))
        return session

    async def set_org(self, token: str, org_id: uuid.UUID) -> bool:
        """Point the session at another organization; False when the session is gone."""
        name = SESSION_PREFIX + _digest(token)
        if not await self._redis.exists(name):
            return False
        await self._redis.hset(name, "org_id", str(org_id))  # type: ignore[misc]
        return True

    async def destroy(self, token: str | None) -> None:
        """End the session (logout); nothing happens for an unknown token."""
        if token:
            await self._redis.delete(SESSION_PREFIX + _digest(token))

    async def issue_handoff(self, token: str) -> str:
        """A single-use code, valid for HANDOFF_TTL_S, that `redeem_handoff` turns into `token`."""
        code = secrets.token_urlsafe(TOKEN_BYTES)
        await self._redis.set(HANDOFF_PREFIX + _digest(code), token, ex=HANDOFF_TTL_S)
        return code

    async def redeem_handoff(self, code: str | None) -> str | None:
        """The session token the code carries, once; None when unknown, used or expired."""
        if not code:
            return None
        token = await self._redis.getdel(HANDOFF_PREFIX + _digest(code))
        if token is None:
            return None
        return token.decode() if isinstance(token, bytes) else str(token)


def _parse(raw: dict[bytes, bytes] | dict[str, str]) -> WebSession | None:
    fields = {_text(k): _text(v) for k, v in raw.items()}
    try:
        org = fields.get("org_id", "")
        return WebSession(
            user_id=uuid.UUID(fields["user_id"]),
            org_id=uuid.UUID(org) if org else None,
            expires_at=float(fields["expires_at"]),
        )
    except (KeyError, ValueError):
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
