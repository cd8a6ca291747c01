"""Stage 1, tenancy: `Authorization: Bearer gw_…` → TenantContext.

Three layers, fastest first: a per-process dict whose entries live `local_ttl_s`
(1 s by default), Redis (`gw:tenant:<key hash>`, shared by every process), and
the database through the injected loader. Revoking a key or changing a plan
deletes the Redis entries (`invalidate`) and announces the organization, so every
process drops its local entries as the announcement arrives
(`gateway.tenancy.changes`), or at the latest when they expire.
Concurrent misses for one key share a single load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis

from gateway.errors import AuthenticationError
from gateway.tenancy.context import TenantContext
from gateway.tenancy.keys import hash_api_key

Loader = Callable[[str], Awaitable[TenantContext | None]]

_MISSING = b"-"
_KEY_PREFIX = "gw:tenant:"
TENANT_CHANGES = "gw:tenancy:changes"
"""The channel every gateway process listens on (`gateway.tenancy.changes`): a message is
"keys <hash> <hash>…" (drop those keys' contexts) or "org <id>" (drop the organization's
provider keys)."""


def tenant_cache_key(key_hash: str) -> str:
    return f"{_KEY_PREFIX}{key_hash}"


def keys_message(key_hashes: Iterable[str]) -> str:
    return "keys " + " ".join(key_hashes)


async def invalidate(redis: aioredis.Redis, key_hashes: Iterable[str]) -> None:
    """Forget the cached contexts of these keys on every process (after revoke or plan change):
    the shared Redis entries now, each process's own as the announcement reaches it."""
    hashes = list(key_hashes)
    if hashes:
        await redis.delete(*(tenant_cache_key(h) for h in hashes))
        await redis.publish(TENANT_CHANGES, keys_message(hashes))


class TenantResolver:
    """Resolves API keys to tenant contexts; raises AuthenticationError for any bad key."""

    def __init__(
        self,
        redis: aioredis.Redis,
        loader: Loader,
        *,
        local_ttl_s: float = 1.0,
        redis_ttl_s: int = 300,
        negative_ttl_s: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._loader = loader
        self._local_ttl = local_ttl_s
        self._redis_ttl = redis_ttl_s
        self._negative_ttl = negative_ttl_s
        self._clock = clock
        self._local: dict[str, tuple[float, TenantContext | None]] = {}
        self._inflight: dict[str, asyncio.Future[TenantContext | None]] = {}

    def forget_keys(self, key_hashes: Iterable[str]) -> None:
        """Drop this process's contexts of these keys (they just changed)."""
        for key_hash in key_hashes:
            self._local.pop(key_hash, None)

    async def resolve(self, authorization: str | None) -> TenantContext:
        api_key = _bearer_token(authorization)
        key_hash = hash_api_key(api_key)
        now = self._clock()
        cached = self._local.get(key_hash)
        if cached is not None and cached[0] > now:
            context = cached[1]
        else:
            context = await self._shared_lookup(key_hash, api_key)
            if len(self._local) > 100_000:
                self._local.clear()
            self._local[key_hash] = (now + self._local_ttl, context)
        if context is None:
            raise AuthenticationError(_INVALID_KEY_MESSAGE)
        return context

    async def _shared_lookup(self, key_hash: str, api_key: str) -> TenantContext | None:
        pending = self._inflight.get(key_hash)
        if pending is not None:
            return await pending
        future: asyncio.Future[TenantContext | None] = asyncio.get_running_loop().create_future()
        self._inflight[key_hash] = future
        try:
            context = await self._lookup(key_hash, api_key)
            future.set_result(context)
            return context
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here so an unawaited future logs nothing
            raise
        finally:
            del self._inflight[key_hash]

    async def _lookup(self, key_hash: str, api_key: str) -> TenantContext | None:
        name = tenant_cache_key(key_hash)
        raw = await self._redis.get(name)
        if raw == _MISSING:
            return None
        if raw is not None:
            return TenantContext.from_json(raw)
        context = await self._loader(api_key)
        if context is None:
            await self._redis.set(name, _MISSING, ex=self._negative_ttl)
        else:
            await self._redis.set(name, context.to_json(), ex=self._redis_ttl)
        return context


_INVALID_KEY_MESSAGE = (
    "Incorrect API key provided. Create or copy a RouterAI key (gw_…) in your dashboard."
)


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError(
            "You didn't provide an API key. Send it as 'Authorization: Bearer gw_…'."
        )
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith("gw_") or len(token) > 256:
        raise AuthenticationError(_INVALID_KEY_MESSAGE)
    return token
