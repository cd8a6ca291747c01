"""The roll-up's work list: (organization, UTC day) pairs that gained request_logs rows.

Ingestion marks a pair after the batch holding its rows commits and before the batch is
acknowledged, so a worker dying between the two leaves the records pending: they are
delivered again and the pair is marked again. Nothing that reached the database goes
unmarked.

A mark increments the pair's counter in one Redis hash. The roll-up takes a snapshot of
the counters, recomputes those pairs from request_logs, and then clears only the pairs
whose counter has not moved since the snapshot (CLEAR_SCRIPT): a mark that lands while
the roll-up runs keeps its pair on the list for the next run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis

DIRTY_KEY = "gw:rollup:dirty"

CLEAR_SCRIPT = """
-- KEYS[1]: the dirty hash. ARGV: field, counter, field, counter, ... (a snapshot).
-- Deletes each field whose counter still equals the snapshot's; returns how many it deleted.
local deleted = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    deleted = deleted + 1
  end
end
return deleted
"""


@dataclass(frozen=True, slots=True, order=True)
class OrgDay:
    """One organization's UTC day: the unit a roll-up recomputes."""

    org_id: uuid.UUID
    day: date

    @property
    def field(self) -> str:
        return f"{self.org_id}:{self.day.isoformat()}"

    @classmethod
    def parse(cls, field: str | bytes) -> OrgDay:
        text = field.decode() if isinstance(field, bytes) else field
        org, _, day = text.rpartition(":")
        return cls(uuid.UUID(org), date.fromisoformat(day))


Snapshot = Mapping[OrgDay, bytes]
"""Pairs and the counter each had when the snapshot was taken."""


def mark_dirty(client: redis.Redis, pairs: Iterable[OrgDay], key: str = DIRTY_KEY) -> None:
    """Put `pairs` on the roll-up's list (one round trip)."""
    pipe = client.pipeline(transaction=False)
    for pair in set(pairs):
        pipe.hincrby(key, pair.field, 1)
    pipe.execute()


def dirty_snapshot(
    client: redis.Redis, *, limit: int | None = None, key: str = DIRTY_KEY
) -> dict[OrgDay, bytes]:
    """Up to `limit` pairs on the list, with their counters."""
    snapshot: dict[OrgDay, bytes] = {}
    for field, counter in client.hscan_iter(key, count=1000):
        if limit is not None and len(snapshot) >= limit:
            break
        snapshot[OrgDay.parse(field)] = counter
    return snapshot


def clear_dirty(client: redis.Redis, snapshot: Snapshot, key: str = DIRTY_KEY) -> int:
    """Take the snapshot's pairs off the list unless they were marked again since."""
    if not snapshot:
        return 0
    args: list[Any] = []
    for pair, counter in snapshot.items():
        args += [pair.field, counter]
    clear = client.register_script(CLEAR_SCRIPT)
    return int(clear(keys=[key], args=args))
