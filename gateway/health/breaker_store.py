"""Breaker stores: the state of every credential's breaker, in Redis or in memory.

`RedisBreakerStore` is what the gateway runs: one hash per credential
(`gw:breaker:<provider>:<platform|org id>`), changed only by the Lua mirrors of the pure
transitions, so every process sees one state and exactly one process gets a half-open probe.
Each process also caches the states it read or wrote for `cache_ttl_s` (1 s): on the hot path,
a closed breaker costs no round trip, and a breaker another process opened is seen within
about a second (meanwhile this process's own failures open it here too). Successes on a
breaker this process holds as closed are counted locally and sent in one call at most every
`flush_s`, or ahead of the next failure in the same script call, so a healthy provider costs
no round trip per request and a failure still sees every success before it (its consecutive
count reset, the window's volume complete). Failures and half-open outcomes go to Redis at
once. `MemoryBreakerStore` is the same contract in one process, for tests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from gateway.health.breaker import (
    CLOSED,
    BreakerPolicy,
    BreakerState,
    BreakerStatus,
    admit,
    blocks,
    record,
    to_ms,
)
from gateway.health.scripts import ALLOW_SCRIPT, RECORD_SCRIPT

logger = logging.getLogger(__name__)

KEY_PREFIX = "gw:breaker:"
_FIELDS = ("s", "c", "ws", "wt", "wf", "o", "p")
_MAX_CACHED = 100_000


class BreakerStore(Protocol):
    """Breakers by credential key (`<provider>:platform` or `<provider>:<org id>`)."""

    policy: BreakerPolicy

    async def allow(self, key: str, now: float) -> bool:
        """Before an attempt: may it go? May claim the half-open probe."""
        ...

    async def record(self, key: str, ok: bool, now: float) -> BreakerState:
        """After an attempt: its outcome (see `breaker.is_provider_failure`)."""
        ...

    async def blocked(self, keys: Iterable[str], now: float) -> frozenset[str]:
        """Which of `keys` would refuse an attempt now (claims nothing): for ranking."""
        ...


def breaker_key(credential_key: str) -> str:
    return f"{KEY_PREFIX}{credential_key}"


def state_from_reply(values: Sequence[Any]) -> BreakerState:
    """A BreakerState from the seven fields as a script or HMGET returns them."""
    s, c, ws, wt, wf, o, p = (int(v) if v is not None else 0 for v in values)
    return BreakerState(BreakerStatus(s), c, ws, wt, wf, o, p)


class RedisBreakerStore:
    """Breakers shared by every gateway process through Redis."""

    def __init__(
        self,
        redis: aioredis.Redis,
        policy: BreakerPolicy | None = None,
        *,
        cache_ttl_s: float = 1.0,
        key_ttl_s: int = 3600,
        flush_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or BreakerPolicy()
        self._redis = redis
        self._cache_ttl = cache_ttl_s
        self._key_ttl = key_ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, BreakerState]] = {}
        self._allow = redis.register_script(ALLOW_SCRIPT)
        self._record = redis.register_script(RECORD_SCRIPT)
        self._flush_s = flush_s
        self._successes: dict[str, int] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def allow(self, key: str, now: float) -> bool:
        now_ms = to_ms(now)
        cached = self._cached(key)
        if cached is not None:
            if cached.status is BreakerStatus.CLOSED:
                return True
            if blocks(cached, now_ms, self.policy):
                return False
        policy = self.policy
        args = (now_ms, policy.cooldown_ms, policy.probe_ms, self._key_ttl)
        reply = await self._run(self._allow, key, args)
        self._remember(key, state_from_reply(reply[1:]))
        return bool(int(reply[0]))

    async def record(self, key: str, ok: bool, now: float) -> BreakerState:
        cached = self._cached(key)
        if ok and cached is not None and cached.status is BreakerStatus.CLOSED:
            self._successes[key] = self._successes.get(key, 0) + 1
            if self._flusher is None:
                self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())
            return cached
        return await self._send(key, ok, now, self._successes.pop(key, 0))

    async def flush(self) -> None:
        """Send the successes counted so far (every `flush_s`, at shutdown, in tests)."""
        batch, self._successes = self._successes, {}
        now = time.time()
        for key, count in batch.items():
            await self._send(key, True, now, count - 1)

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(self._flush_s)
            await self.flush()
        except RedisError as exc:  # successes only: a breaker closed stays closed without them
            logger.warning("dropped a batch of breaker successes: %s", exc)
        finally:
            self._flusher = None

    async def _send(self, key: str, ok: bool, now: float, earlier: int) -> BreakerState:
        policy = self.policy
        args = (
            to_ms(now),
            1 if ok else 0,
            policy.failure_threshold,
            policy.ratio_permille,
            policy.min_volume,
            policy.window_ms,
            self._key_ttl,
            earlier,
        )
        state = state_from_reply(await self._run(self._record, key, args))
        self._remember(key, state)
        return state

    async def blocked(self, keys: Iterable[str], now: float) -> frozenset[str]:
        states = await self.states(keys)
        now_ms = to_ms(now)
        return frozenset(k for k, s in states.items() if blocks(s, now_ms, self.policy))

    async def states(self, keys: Iterable[str]) -> dict[str, BreakerState]:
        """The states of `keys`: cached ones as cached, the rest in one pipelined round trip."""
        found: dict[str, BreakerState] = {}
        missing: list[str] = []
        for key in dict.fromkeys(keys):
            cached = self._cached(key)
            if cached is None:
                missing.append(key)
            else:
                found[key] = cached
        if missing:
            pipe = self._redis.pipeline(transaction=False)
            for key in missing:
                pipe.hmget(breaker_key(key), list(_FIELDS))
            for key, values in zip(missing, await pipe.execute(), strict=True):
                found[key] = state_from_reply(values)
                self._remember(key, found[key])
        return found

    async def state(self, key: str) -> BreakerState:
        """The state in Redis now, past the cache (for the dashboard and tests)."""
        values = await self._redis.hmget(breaker_key(key), list(_FIELDS))  # type: ignore[misc]
        return state_from_reply(values)

    async def _run(self, script: Any, key: str, args: tuple[int, ...]) -> Any:
        name = breaker_key(key)
        try:
            return await self._redis.evalsha(script.sha, 1, name, *args)  # type: ignore[misc]
        except NoScriptError:
            return await script([name], list(args))

    def _cached(self, key: str) -> BreakerState | None:
        entry = self._cache.get(key)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def _remember(self, key: str, state: BreakerState) -> None:
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (self._clock() + self._cache_ttl, state)


class MemoryBreakerStore:
    """The same contract inside one process (tests, single-process tools)."""

    def __init__(self, policy: BreakerPolicy | None = None) -> None:
        self.policy = policy or BreakerPolicy()
        self._states: dict[str, BreakerState] = {}

    async def allow(self, key: str, now: float) -> bool:
        allowed, self._states[key] = admit(self._states.get(key, CLOSED), to_ms(now), self.policy)
        return allowed

    async def record(self, key: str, ok: bool, now: float) -> BreakerState:
        state = record(self._states.get(key, CLOSED), ok, to_ms(now), self.policy)
        self._states[key] = state
        return state

    async def blocked(self, keys: Iterable[str], now: float) -> frozenset[str]:
        now_ms = to_ms(now)
        return frozenset(
            k for k in keys if blocks(self._states.get(k, CLOSED), now_ms, self.policy)
        )

    async def state(self, key: str) -> BreakerState:
        return self._states.get(key, CLOSED)
