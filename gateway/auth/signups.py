"""Sign-ups waiting for their email address to be confirmed, in Redis.

The sign-up form creates nothing: what it said (the address, the password's argon2 hash,
the organization's name, where to go afterwards) waits under a random token for a day,
and the address receives a link carrying the token. Opening the link takes the entry
(GETDEL: a link works once) and creates the account. Redis holds the entry under the
token's SHA-256 (`gw:web:signup:<digest>`), so a Redis dump holds no usable link.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass

import orjson
import redis.asyncio as aioredis

PREFIX = "gw:web:signup:"
CONFIRM_TTL_S = 24 * 3600
TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class SignUpRequest:
    """A checked sign-up form: a normalised address, a password hash, a clean org name."""

    email: str
    password_hash: str
    org_name: str


@dataclass(frozen=True, slots=True)
class PendingSignUp:
    request: SignUpRequest
    next_path: str


class PendingSignUps:
    def __init__(self, redis: aioredis.Redis, ttl_s: int = CONFIRM_TTL_S) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    async def put(self, pending: PendingSignUp) -> str:
        """Keep `pending` for the link's lifetime; the token the link carries."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        value = orjson.dumps({**asdict(pending.request), "next_path": pending.next_path})
        await self._redis.set(_key(token), value, ex=self._ttl_s)
        return token

    async def take(self, token: str) -> PendingSignUp | None:
        """The sign-up behind `token`, removed so the link cannot be used again; None when
        the token is unknown, used or expired."""
        raw = await self._redis.getdel(_key(token))
        if raw is None:
            return None
        fields = orjson.loads(raw)
        next_path = fields.pop("next_path")
        return PendingSignUp(SignUpRequest(**fields), next_path)


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()
