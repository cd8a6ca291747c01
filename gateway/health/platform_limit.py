"""The platform-wide rate limit on RouterAI's own provider keys (never on tenants' keys).

Every tenant on a platform key shares the platform's quota with the provider, so the gateway
keeps all of them under it: per provider, at most `per_second` and `per_minute` requests,
counted in Redis in fixed one-second and one-minute windows (`gw:prl:{provider}:s:<second>`,
`gw:prl:{provider}:m:<minute>`, one hash tag: one Cluster slot). One script checks both and
counts the request only if both have room, so a refused attempt uses up nothing. Fixed
windows can let up to twice a limit through around a window's edge; the providers' own limits
are themselves coarse, so this is kept simple on purpose. A refused platform attempt moves on
to the next candidate, like an open breaker.

The defaults are conservative placeholders for a fresh deployment; set the real quotas of the
platform's provider accounts at the composition root.

Every attempt on a platform key makes this call before it goes upstream, so it runs over the
process's pipelined connection (`gateway.pipelined_redis`), as admit and settle do, rather
than through redis-py's connection pool.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

from gateway.health.scripts import PLATFORM_LIMIT_SCRIPT
from gateway.pipelined_redis import PipelinedRedis


@dataclass(frozen=True, slots=True)
class PlatformLimit:
    """Requests per second and per minute on one provider's platform key (None: no limit)."""

    per_second: int | None = None
    per_minute: int | None = None


DEFAULT_PLATFORM_LIMITS: Mapping[str, PlatformLimit] = {
    "openai": PlatformLimit(per_minute=3_000),
    "anthropic": PlatformLimit(per_minute=1_000),
    "groq": PlatformLimit(per_minute=1_000),
    "together": PlatformLimit(per_minute=1_000),
    "ollama": PlatformLimit(per_second=20),
}


def limit_keys(provider: str, now: float) -> tuple[str, str]:
    """This second's and this minute's counter keys for `provider`."""
    second = math.floor(now)
    return f"gw:prl:{{{provider}}}:s:{second}", f"gw:prl:{{{provider}}}:m:{second // 60}"


class PlatformRateLimiter:
    """`acquire(provider, now)`: may one more request go out on the platform key?"""

    def __init__(
        self,
        redis: aioredis.Redis,
        limits: Mapping[str, PlatformLimit] = DEFAULT_PLATFORM_LIMITS,
        *,
        wire: PipelinedRedis | None = None,
    ) -> None:
        self._wire = wire or PipelinedRedis.like(redis)
        self._limits = dict(limits)
        self._script = redis.register_script(PLATFORM_LIMIT_SCRIPT)

    async def acquire(self, provider: str, now: float) -> bool:
        """True (and counted) if the platform key of `provider` has room now."""
        limit = self._limits.get(provider)
        if limit is None or (limit.per_second is None and limit.per_minute is None):
            return True
        args = (_or_none(limit.per_second), _or_none(limit.per_minute))
        reply = await self._wire.run_script(self._script, limit_keys(provider, now), args)
        return bool(int(reply[0]))


def _or_none(value: int | None) -> int:
    return -1 if value is None else value
