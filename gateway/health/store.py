"""`HealthStore`: providers' live health in Redis, written in batches, read through a 1 s cache.

Writes: `observe()` returns at once; samples collect in process and one task sends them all
`flush_delay_s` later in a single script call (the Lua mirror of `ewma.observe`), so under
load a process pays one round trip per batch, not per attempt. Health is advisory: a batch
Redis refuses is dropped and logged, never raised into a request.

Reads: `snapshot()` answers from the last read while it is younger than `cache_ttl_s`, else
reads the one hash (`gw:health`) with HGETALL; concurrent refreshes share that read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from gateway.health.ewma import ALPHA, ProviderHealth
from gateway.health.scripts import OBSERVE_SCRIPT

logger = logging.getLogger(__name__)

HEALTH_KEY = "gw:health"
_KEY_TTL_S = 86_400


class HealthStore:
    """EWMA latency and error rate per provider, shared by every process."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        key: str = HEALTH_KEY,
        alpha: float = ALPHA,
        cache_ttl_s: float = 1.0,
        flush_delay_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._key = key
        self._alpha = alpha
        self._cache_ttl = cache_ttl_s
        self._flush_delay = flush_delay_s
        self._clock = clock
        self._wall = wall_clock
        self._script = redis.register_script(OBSERVE_SCRIPT)
        self._pending: list[tuple[str, float, bool]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._snapshot: dict[str, ProviderHealth] = {}
        self._read_at: float | None = None
        self._reading: asyncio.Future[dict[str, ProviderHealth]] | None = None

    def observe(self, provider: str, latency_ms: float, ok: bool) -> None:
        """One attempt's outcome; sent with the others of this batch (never blocks)."""
        self._pending.append((provider, float(latency_ms), ok))
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def flush(self) -> None:
        """Send the pending samples now (at shutdown, and in tests)."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        args: list[str | int | float] = [self._alpha, int(self._wall() * 1000), _KEY_TTL_S]
        for provider, latency_ms, ok in batch:
            args += [provider, latency_ms, 1 if ok else 0]
        try:
            await self._redis.evalsha(self._script.sha, 1, self._key, *args)  # type: ignore[misc]
        except NoScriptError:
            await self._script([self._key], args)

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        await self.flush()

    async def snapshot(self) -> Mapping[str, ProviderHealth]:
        """Every provider's health, at most `cache_ttl_s` old."""
        if self._read_at is not None and self._clock() - self._read_at < self._cache_ttl:
            return self._snapshot
        if self._reading is not None:
            return await asyncio.shield(self._reading)
        self._reading = asyncio.get_running_loop().create_future()
        try:
            self._snapshot = parse_health(await self._redis.hgetall(self._key))  # type: ignore[misc]
            self._read_at = self._clock()
            self._reading.set_result(self._snapshot)
            return self._snapshot
        except BaseException as exc:
            self._reading.set_exception(exc)
            self._reading.exception()
            raise
        finally:
            self._reading = None

    async def _flush_soon(self) -> None:
        try:
            while self._pending:  # samples observed during a flush go in the next batch
                await asyncio.sleep(self._flush_delay)
                try:
                    await self.flush()
                except RedisError as exc:
                    logger.warning("dropped a batch of provider health samples: %s", exc)
        finally:
            self._flusher = None


def parse_health(raw: Mapping[bytes | str, bytes | str]) -> dict[str, ProviderHealth]:
    """The health hash's fields (`<provider>:<l|e|n|t>`) as ProviderHealth by provider."""
    fields: dict[str, dict[str, str]] = {}
    for name, value in raw.items():
        text = name.decode() if isinstance(name, bytes) else name
        provider, _, field = text.rpartition(":")
        fields.setdefault(provider, {})[field] = (
            value.decode() if isinstance(value, bytes) else value
        )
    return {
        provider: ProviderHealth(
            float(f["l"]) if "l" in f else None,
            float(f.get("e", 0)),
            int(f.get("n", 0)),
            int(f.get("t", 0)) / 1000,
        )
        for provider, f in fields.items()
    }
