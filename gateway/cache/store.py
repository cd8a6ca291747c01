"""`RedisCacheStore`: the cache's entries, scope indexes, change log and stats in Redis.

Every key starts with the organization's namespace `gw:cache:{org_id}:` (layout in
`gateway.cache.scripts`); no method takes a key from outside, so no call can reach
another tenant's data. A lookup costs one round trip: the exact entry and, when the
process follows the organization's log, the new log events ride in the same pipeline. A
semantic hit costs one more: its entry, counted as a hit in the same script (`take`).
Those calls, and the count of each lookup's outcome, are on the request's path, so they go
over the process's pipelined connection (`gateway.pipelined_redis`); the rest over redis-py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis

from gateway.cache.index import LogEvent
from gateway.cache.scripts import CLEAR_SCOPE_SCRIPT, HIT_SCRIPT, PUT_SCRIPT
from gateway.pipelined_redis import Arg, PipelinedRedis

MAX_SEQ = 2**64 - 1
LOG_BATCH = 512
_ENTRY_FIELDS = ["b", "c", "x"]


def namespace(org_id: str) -> str:
    """The prefix of every cache key of one organization (its Redis Cluster hash tag)."""
    return f"gw:cache:{{{org_id}}}:"


@dataclass(frozen=True, slots=True)
class StoredEntry:
    body: bytes
    cost_micro: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class LogRead:
    events: list[LogEvent]
    gap: bool  # events after the reader's position were trimmed away: reload


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits_exact: int
    hits_semantic: int
    misses: int
    saved_micro: int
    entries: int

    @property
    def hits(self) -> int:
        return self.hits_exact + self.hits_semantic

    @property
    def hit_rate(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


@dataclass(frozen=True, slots=True)
class ScopeInfo:
    scope: str
    entries: int
    label: dict[str, Any]


class RedisCacheStore:
    """Tenant-namespaced cache storage; atomic writes through Lua."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        max_entries: int,
        log_maxlen: int = 20_000,
        reap_limit: int = 32,
        wire: PipelinedRedis | None = None,
    ) -> None:
        self._redis = redis
        self._wire = wire or PipelinedRedis.like(redis)
        self.max_entries = max_entries
        self.log_maxlen = log_maxlen
        self.reap_limit = reap_limit
        self._put = redis.register_script(PUT_SCRIPT)
        self._clear_scope = redis.register_script(CLEAR_SCOPE_SCRIPT)
        self._hit = redis.register_script(HIT_SCRIPT)

    async def lookup(
        self, org_id: str, exact: str, log_from: tuple[int, int] | None
    ) -> tuple[StoredEntry | None, LogRead | None]:
        """The exact entry and, if `log_from` is given, the log events after it."""
        ns = namespace(org_id)
        commands: list[tuple[Arg, ...]] = [("HMGET", ns + "e:" + exact, *_ENTRY_FIELDS)]
        if log_from is not None:
            commands += _log_read_commands(ns + "log", log_from)
        replies = await self._wire.execute_many(*commands)
        entry = _entry(replies[0])
        log = _log_read(replies[1:], log_from, self.log_maxlen) if log_from else None
        return entry, log

    async def take(
        self, org_id: str, *, scope: str, exact: str, status: str, now_ms: int
    ) -> StoredEntry | None:
        """The entry, counted as a hit of `status` (with its LRU rank refreshed) when it is
        alive at `now_ms`: one round trip. The caller still checks the expiry it returns."""
        ns = namespace(org_id)
        keys = (ns + "e:" + exact, ns + "stats", ns + "lru")
        args = (now_ms, status, f"{scope}:{exact}")
        return _entry(await self._wire.run_script(self._hit, keys, args))

    async def read_log(self, org_id: str, log_from: tuple[int, int]) -> LogRead:
        commands = _log_read_commands(namespace(org_id) + "log", log_from)
        return _log_read(await self._wire.execute_many(*commands), log_from, self.log_maxlen)

    async def snapshot(self, org_id: str, scope: str) -> tuple[tuple[int, int], dict[str, bytes]]:
        """A scope's members and the log position they reflect, read atomically."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.time()
        pipe.hgetall(namespace(org_id) + "s:" + scope)
        (seconds, micros), members = await pipe.execute()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        # Events of the snapshot's own millisecond may or may not be in it: replay them.
        synced = (now_ms - 1, MAX_SEQ)
        return synced, {k.decode(): v for k, v in members.items()}

    async def put(
        self,
        org_id: str,
        *,
        scope: str,
        exact: str,
        body: bytes,
        cost_micro: int,
        now_ms: int,
        ttl_ms: int,
        member: bytes,
        label: dict[str, Any],
    ) -> int:
        """Store one entry; returns how many expired or over-cap entries it evicted."""
        ns = namespace(org_id)
        keys = [ns + "e:" + exact, ns + "s:" + scope, ns + "lru", ns + "exp", ns + "log"]
        args: list[str | bytes | int] = [
            ns,
            scope,
            exact,
            body,
            cost_micro,
            now_ms,
            ttl_ms,
            member,
            self.max_entries,
            self.log_maxlen,
            orjson.dumps(label),
            self.reap_limit,
        ]
        return int(await self._put([*keys, ns + "scopes"], args))

    async def record(
        self,
        org_id: str,
        *,
        status: str,
        saved_micro: int = 0,
        touch: str | None = None,
        now_ms: int = 0,
    ) -> None:
        """Count a lookup's outcome ("exact", "semantic", "miss"); touch a hit's LRU rank."""
        ns = namespace(org_id)
        commands: list[tuple[Arg, ...]] = [("HINCRBY", ns + "stats", status, 1)]
        if saved_micro:
            commands.append(("HINCRBY", ns + "stats", "saved", saved_micro))
        if touch is not None:
            commands.append(("ZADD", ns + "lru", "XX", now_ms, touch))
        await self._wire.execute_many(*commands)

    async def stats(self, org_id: str, now_ms: int) -> CacheStats:
        """Counters, and the entries still alive at `now_ms`."""
        ns = namespace(org_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(ns + "stats")
        pipe.zcount(ns + "exp", f"({now_ms}", "+inf")
        raw, entries = await pipe.execute()
        counts = {k.decode(): int(v) for k, v in raw.items()}
        return CacheStats(
            hits_exact=counts.get("exact", 0),
            hits_semantic=counts.get("semantic", 0),
            misses=counts.get("miss", 0),
            saved_micro=counts.get("saved", 0),
            entries=int(entries),
        )

    async def scopes(self, org_id: str) -> list[ScopeInfo]:
        ns = namespace(org_id)
        labels = await self._redis.hgetall(ns + "scopes")  # type: ignore[misc]
        pipe = self._redis.pipeline(transaction=False)
        for scope in labels:
            pipe.hlen(ns + "s:" + scope.decode())
        sizes = await pipe.execute()
        return [
            ScopeInfo(scope.decode(), int(size), orjson.loads(label))
            for (scope, label), size in zip(labels.items(), sizes, strict=True)
            if size
        ]

    async def clear_scope(self, org_id: str, scope: str) -> int:
        ns = namespace(org_id)
        keys = [ns + "s:" + scope, ns + "lru", ns + "exp", ns + "log", ns + "scopes"]
        return int(await self._clear_scope(keys, [ns, scope, self.log_maxlen]))

    async def clear(self, org_id: str) -> int:
        """Remove every entry of one organization (its stats stay); returns the count."""
        ns = namespace(org_id)
        removed = int(await self._redis.zcard(ns + "lru"))
        keep = {(ns + "log").encode(), (ns + "stats").encode()}
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=_glob_escape(ns) + "*", count=1000):
            if key not in keep:
                batch.append(key)
            if len(batch) >= 1000:
                await self._redis.unlink(*batch)
                batch = []
        if batch:
            await self._redis.unlink(*batch)
        await self._redis.xadd(
            ns + "log",
            {"op": "clear", "s": "", "e": ""},
            maxlen=self.log_maxlen,
            approximate=True,
        )
        return removed


def _log_read_commands(key: str, log_from: tuple[int, int]) -> list[tuple[Arg, ...]]:
    return [
        ("XRANGE", key, _after(log_from), "+", "COUNT", LOG_BATCH),
        ("XLEN", key),
        ("XRANGE", key, "-", "+", "COUNT", 1),
    ]


def _after(position: tuple[int, int]) -> str:
    ms, seq = position
    return f"{ms + 1}-0" if seq == MAX_SEQ else f"{ms}-{seq + 1}"


def _log_read(replies: list[Any], log_from: tuple[int, int], maxlen: int) -> LogRead:
    raw_events, length, first = replies
    events = [_event(event_id, fields) for event_id, fields in raw_events]
    oldest = _stream_id(first[0][0]) if first else None
    gap = int(length) >= maxlen and oldest is not None and oldest > log_from
    return LogRead(events, gap)


def _event(event_id: bytes, flat: list[bytes]) -> LogEvent:
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    return LogEvent(
        id=_stream_id(event_id),
        op=fields.get(b"op", b"").decode(),
        scope=fields.get(b"s", b"").decode(),
        entry=fields.get(b"e", b"").decode(),
        member=fields.get(b"v", b""),
    )


def _stream_id(raw: bytes | str) -> tuple[int, int]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _entry(values: list[bytes | None]) -> StoredEntry | None:
    body, cost, expires = values
    if body is None:
        return None
    return StoredEntry(body, int(cost or 0), int(expires or 0))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\{}" else c for c in text)
