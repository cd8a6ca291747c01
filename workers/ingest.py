"""Usage ingestion: the Redis usage stream → `request_logs`, in batches, losing nothing.

Workers read through one consumer group. A batch is inserted in one database
transaction (idempotent on `request_id`: a redelivered record never makes a
second row) and acknowledged only after the commit. Records left pending by a
worker that died are claimed by another after `claim_idle_ms`. The stream is
trimmed only below the oldest record not yet acknowledged. A record that cannot
be read (it never should), or that the database refuses (say, its organization was
deleted meanwhile), moves to a dead-letter stream for inspection instead of being
retried forever; one such record never holds back the rest of its batch.

After the commit and before the acknowledgement, the batch's (organization, day) pairs
go on the roll-up's dirty list (`gateway.analytics.dirty`), so usage_daily catches up
with every row that reached the database.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
from sqlalchemy import Engine, bindparam, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError

from gateway.analytics.dirty import OrgDay, mark_dirty
from gateway.db.models import ApiKey, RequestLog
from gateway.db.sessions import scope_session, system_session
from gateway.usage import USAGE_STREAM

GROUP = "ingest"

Entry = tuple[bytes, Mapping[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class IngestConfig:
    stream: str = USAGE_STREAM
    group: str = GROUP
    batch_size: int = 1000
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    dead_letter: str = USAGE_STREAM + ":dead"


def ensure_group(client: redis.Redis, config: IngestConfig) -> None:
    """Create the consumer group (and the stream) if missing; reading starts at the beginning."""
    try:
        client.xgroup_create(config.stream, config.group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def ingest_once(
    client: redis.Redis,
    engine: Engine,
    consumer: str,
    config: IngestConfig = IngestConfig(),
    *,
    block: bool = True,
) -> int:
    """Ingest one batch (stale pending records first, then new ones); returns records written."""
    entries = _claim_stale(client, consumer, config)
    if not entries:
        reply: Any = client.xreadgroup(
            config.group,
            consumer,
            {config.stream: ">"},
            count=config.batch_size,
            block=config.block_ms if block else None,
        )
        entries = reply[0][1] if reply else []
    if not entries:
        return 0
    parsed: list[tuple[Entry, dict[str, Any]]] = []
    for entry in entries:
        try:
            parsed.append((entry, record_to_row(entry[1])))
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            dead_letter(client, config, entry, "unreadable record")
    _store_isolating(client, engine, parsed, config)
    mark_dirty(client, (OrgDay(row["org_id"], row["created_at"].date()) for _, row in parsed))
    client.xack(config.stream, config.group, *[entry_id for entry_id, _ in entries])
    trim_acknowledged(client, config)
    return len(entries)


def dead_letter(client: redis.Redis, config: IngestConfig, entry: Entry, reason: str) -> None:
    """Move a record aside (with its entry id and why) instead of retrying it forever."""
    entry_id, fields = entry
    dead: Any = {**fields, b"entry_id": entry_id, b"error": reason.encode()[:500]}
    client.xadd(config.dead_letter, dead)


def _store_isolating(
    client: redis.Redis,
    engine: Engine,
    parsed: list[tuple[Entry, dict[str, Any]]],
    config: IngestConfig,
) -> None:
    """Store the batch in one transaction; if the database refuses it, record by record."""
    try:
        store_rows(engine, [row for _, row in parsed])
    except (IntegrityError, DataError):
        for entry, row in parsed:
            try:
                store_rows(engine, [row])
            except (IntegrityError, DataError) as exc:
                dead_letter(client, config, entry, f"refused by the database: {exc.orig}")


def store_rows(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    """Insert the rows in one transaction, each organization's rows in its own scope."""
    by_org: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_org[row["org_id"]].append(row)
    insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    # Core statements on the tables: the ORM's bulk path costs more than the insert itself.
    statement = insert(_LOGS).on_conflict_do_nothing(index_elements=["request_id"])
    with system_session(engine) as session:
        for org_id, org_rows in by_org.items():
            scope_session(session, org_id=org_id)
            connection = session.connection()
            connection.execute(statement, org_rows)
            touched = _latest_use(org_rows)
            if touched:
                connection.execute(_TOUCH_KEY, touched)


def record_to_row(record: Mapping[bytes, bytes]) -> dict[str, Any]:
    """One usage-stream record as a `request_logs` row."""
    get = {k.decode(): v.decode() for k, v in record.items()}.get
    if not get("request_id"):
        raise ValueError("a usage record without a request id")
    prompt = int(get("prompt_tokens") or 0)
    completion = int(get("completion_tokens") or 0)
    ttfb = get("ttfb_ms")
    return {
        "request_id": get("request_id"),
        "org_id": uuid.UUID(get("org_id")),
        "api_key_id": uuid.UUID(key) if (key := get("key_id")) else None,
        "created_at": datetime.fromtimestamp(int(get("created_at_ms") or 0) / 1000, UTC),
        "provider": get("provider") or None,
        "model_requested": (get("model_requested") or "")[:128],
        "model_used": get("model_used") or None,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": int(get("cost_micro") or 0),
        "baseline_cost": int(get("baseline_micro") or 0),
        "latency_ms": int(get("latency_ms") or 0),
        "ttfb_ms": int(ttfb) if ttfb else None,
        "status_code": int(get("status") or 0),
        "error_type": get("error_type") or None,
        "cache_status": get("cache_status") or "miss",
        "streamed": get("streamed") == "1",
        "cache_similarity": float(similarity) if (similarity := get("cache_similarity")) else None,
        "routing": orjson.loads(routing) if (routing := get("routing")) else None,
    }


def trim_acknowledged(client: redis.Redis, config: IngestConfig) -> None:
    """Drop stream entries below the oldest one still pending or undelivered."""
    pending: Any = client.xpending(config.stream, config.group)
    if pending["pending"]:
        floor = pending["min"]
    else:
        info: Any = client.xinfo_groups(config.stream)
        groups = {g["name"]: g for g in info}
        floor = groups[config.group.encode()]["last-delivered-id"]
        floor = _next_id(floor)
    client.xtrim(config.stream, minid=floor, approximate=False)


def _claim_stale(client: redis.Redis, consumer: str, config: IngestConfig) -> list[Entry]:
    reply: Any = client.xautoclaim(
        config.stream,
        config.group,
        consumer,
        min_idle_time=config.claim_idle_ms,
        start_id="0-0",
        count=config.batch_size,
    )
    return [(entry_id, fields) for entry_id, fields in reply[1] if fields is not None]


_LOGS = RequestLog.__table__  # type: ignore[attr-defined]
_KEYS = ApiKey.__table__  # type: ignore[attr-defined]
_TOUCH_KEY = (
    update(_KEYS)
    .where(_KEYS.c.id == bindparam("key_id"))
    .where(or_(_KEYS.c.last_used_at.is_(None), _KEYS.c.last_used_at < bindparam("used")))
    .values(last_used_at=bindparam("used"))
)
"""Keep api_keys.last_used_at at the newest request seen (off the gateway's hot path)."""


def _latest_use(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[uuid.UUID, datetime] = {}
    for row in rows:
        key = row["api_key_id"]
        if key is not None and (key not in latest or row["created_at"] > latest[key]):
            latest[key] = row["created_at"]
    return [{"key_id": key, "used": used} for key, used in latest.items()]


def _next_id(entry_id: bytes | str) -> str:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    millis, _, seq = text.partition("-")
    return f"{millis}-{int(seq or 0) + 1}"
