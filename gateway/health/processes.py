"""The state of RouterAI's supervised processes, as the supervisors report it to Redis.

Every supervisor (`routerai worker`, `routerai up`) writes one entry per child into the
hash `gw:processes`, field `<host>/<name>`: whether it runs, how often it was started
again, and when the supervisor last confirmed it (every `HEARTBEAT_S`). The gateway's
`/health` and `/metrics` read the hash (`ProcessWatch`, once a second), so a restart shows
as "degraded" on every gateway, whichever machine it happened on.

An entry whose heartbeat is older than `STALE_MS` belongs to a supervisor that stopped
without saying so (killed): its processes count as down. After `FORGET_MS` the entry is
left out altogether (the machine is gone), and dropped by the next supervisor that writes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

PROCESSES_KEY = "gw:processes"
HEARTBEAT_S = 5.0
READ_TIMEOUT_S = 0.5
STALE_MS = 15_000
FORGET_MS = 300_000

State = Literal["running", "restarting"]


@dataclass(frozen=True, slots=True)
class ProcessStatus:
    """One supervised process. `seen_ms` is the supervisor's last heartbeat (epoch ms)."""

    host: str
    name: str
    state: State
    restarts: int
    seen_ms: int
    last_exit: int | None = None

    @property
    def field(self) -> str:
        return f"{self.host}/{self.name}"

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, raw: bytes | str) -> ProcessStatus:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(**data)

    def up(self, now_ms: int) -> bool:
        return self.state == "running" and now_ms - self.seen_ms <= STALE_MS


def current(raw: Mapping[Any, Any], now_ms: int) -> list[ProcessStatus]:
    """The entries of the hash still worth reporting (not forgotten), by field; entries that
    cannot be read are skipped."""
    statuses = []
    for value in raw.values():
        try:
            status = ProcessStatus.decode(value)
        except (ValueError, TypeError):
            continue
        if now_ms - status.seen_ms <= FORGET_MS:
            statuses.append(status)
    return sorted(statuses, key=lambda status: status.field)


def forgotten(raw: Mapping[Any, Any], now_ms: int) -> list[Any]:
    """Fields of entries past `FORGET_MS`, or unreadable: safe to delete."""
    fields = []
    for field, value in raw.items():
        try:
            stale = now_ms - ProcessStatus.decode(value).seen_ms > FORGET_MS
        except (ValueError, TypeError):
            stale = True
        if stale:
            fields.append(field)
    return fields


def report(statuses: list[ProcessStatus], now_ms: int) -> dict[str, Any]:
    """`/health`'s view: each process's state, and whether all of them are up."""
    processes = {
        status.field: {
            "state": status.state if now_ms - status.seen_ms <= STALE_MS else "unknown",
            "restarts": status.restarts,
        }
        for status in statuses
    }
    return {
        "status": "ok" if all(status.up(now_ms) for status in statuses) else "degraded",
        "processes": processes,
    }


class ProcessWatch:
    """The supervised processes as last read from Redis, re-read every `every_s` by `run` (a
    background task), so `/health` and `/metrics` answer from memory: a health check that
    waited on Redis would wait behind whatever else the process is doing."""

    def __init__(self, client: aioredis.Redis, *, every_s: float = 1.0) -> None:
        self._client = client
        self._every_s = every_s
        self.reported: tuple[list[ProcessStatus], int] | None = None

    async def refresh(self) -> None:
        self.reported = await read(self._client)

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._every_s)


async def read(client: aioredis.Redis) -> tuple[list[ProcessStatus], int] | None:
    """The reported processes and the time read (epoch ms); None if Redis does not answer
    within `READ_TIMEOUT_S`."""
    try:
        raw = await asyncio.wait_for(_hgetall(client), READ_TIMEOUT_S)
    except (RedisError, OSError, TimeoutError):
        return None
    now_ms = int(time.time() * 1000)
    return current(raw, now_ms), now_ms


async def _hgetall(client: aioredis.Redis) -> dict[Any, Any]:
    result: dict[Any, Any] = await client.hgetall(PROCESSES_KEY)  # type: ignore[misc]
    return result
