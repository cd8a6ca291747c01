"""Usage ingestion: batches, redelivery without duplicates, claims from dead workers, trimming,
dead letters, and the roll-up's list of changed days."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, func
from sqlmodel import select

from gateway.analytics.dirty import OrgDay, dirty_snapshot
from gateway.db.models import Organization, RequestLog
from gateway.db.sessions import tenant_session
from workers.ingest import IngestConfig, ensure_group, ingest_once

pytestmark = pytest.mark.embedded_redis_too

CONFIG = IngestConfig(batch_size=50, block_ms=10, claim_idle_ms=50)


def record(org: Organization, n: int, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": f"req_{org.slug}_{n}",
        "org_id": str(org.id),
        "key_id": "",
        "created_at_ms": int(time.time() * 1000),
        "provider": "openai",
        "model_requested": "gpt-4o",
        "model_used": "gpt-4o",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost_micro": 75,
        "baseline_micro": 75,
        "latency_ms": 3,
        "ttfb_ms": "",
        "status": 200,
        "error_type": "",
        "cache_status": "miss",
        "streamed": 0,
        **fields,
    }


def count(engine: Engine, org: Organization) -> int:
    with tenant_session(engine, org.id) as session:
        statement = select(func.count()).select_from(RequestLog).where(RequestLog.org_id == org.id)
        return int(session.exec(statement).one())


def drain(client: redis.Redis, engine: Engine, consumer: str = "w1") -> int:
    total = 0
    while written := ingest_once(client, engine, consumer, CONFIG, block=False):
        total += written
    return total


def test_records_of_many_orgs_land_in_their_scopes(
    redis_client: redis.Redis, engine: Engine, make_org: Callable[..., Organization]
) -> None:
    orgs = [make_org(name=f"Org {i}") for i in range(3)]
    ensure_group(redis_client, CONFIG)
    for n in range(120):
        redis_client.xadd(CONFIG.stream, record(orgs[n % 3], n))
    assert drain(redis_client, engine) == 120
    assert [count(engine, org) for org in orgs] == [40, 40, 40]
    assert redis_client.xlen(CONFIG.stream) == 0


def test_a_worker_that_died_mid_batch_loses_nothing_and_duplicates_nothing(
    redis_client: redis.Redis, engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    ensure_group(redis_client, CONFIG)
    for n in range(30):
        redis_client.xadd(CONFIG.stream, record(org, n))
    # The first worker reads a batch and dies before committing or acknowledging it.
    redis_client.xreadgroup(CONFIG.group, "dead-worker", {CONFIG.stream: ">"}, count=20)
    assert drain(redis_client, engine, "w2") == 10  # only the undelivered ones, for now
    time.sleep(CONFIG.claim_idle_ms / 1000 * 2)
    assert drain(redis_client, engine, "w2") == 20  # claimed from the dead worker
    assert count(engine, org) == 30
    # A record delivered twice (e.g. committed, then the ack was lost) makes no second row.
    redis_client.xadd(CONFIG.stream, record(org, 0, prompt_tokens=999))
    drain(redis_client, engine, "w2")
    assert count(engine, org) == 30
    assert redis_client.xpending(CONFIG.stream, CONFIG.group)["pending"] == 0


def test_an_unreadable_record_goes_to_the_dead_letter_stream(
    redis_client: redis.Redis, engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    ensure_group(redis_client, CONFIG)
    redis_client.xadd(CONFIG.stream, record(org, 1, org_id="not-a-uuid"))
    redis_client.xadd(CONFIG.stream, record(org, 2))
    assert drain(redis_client, engine) == 2
    assert count(engine, org) == 1
    dead = redis_client.xrange(CONFIG.dead_letter)
    assert [fields[b"org_id"] for _, fields in dead] == [b"not-a-uuid"]


def test_the_stream_is_trimmed_only_below_unacknowledged_records(
    redis_client: redis.Redis, engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    ensure_group(redis_client, CONFIG)
    for n in range(5):
        redis_client.xadd(CONFIG.stream, record(org, n))
    redis_client.xreadgroup(CONFIG.group, "slow", {CONFIG.stream: ">"}, count=2)
    redis_client.xadd(CONFIG.stream, record(org, 99))
    ingest_once(
        redis_client, engine, "fast", IngestConfig(batch_size=50, claim_idle_ms=60_000), block=False
    )
    # The two records the slow worker holds stay in the stream until it acknowledges them.
    remaining = [fields[b"request_id"] for _, fields in redis_client.xrange(CONFIG.stream)]
    assert remaining[:2] == [f"req_{org.slug}_0".encode(), f"req_{org.slug}_1".encode()]
    assert count(engine, org) == 4


def test_a_record_the_database_refuses_does_not_hold_back_its_batch(
    redis_client: redis.Redis, engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    ensure_group(redis_client, CONFIG)
    redis_client.xadd(CONFIG.stream, record(org, 1))
    redis_client.xadd(CONFIG.stream, record(org, 2, org_id=str(uuid.uuid4())))  # no such org
    redis_client.xadd(CONFIG.stream, record(org, 3))
    assert drain(redis_client, engine) == 3
    assert count(engine, org) == 2
    [(_, dead)] = redis_client.xrange(CONFIG.dead_letter)
    assert dead[b"request_id"] == f"req_{org.slug}_2".encode()
    assert dead[b"error"].startswith(b"refused by the database")
    assert redis_client.xpending(CONFIG.stream, CONFIG.group)["pending"] == 0


def test_ingested_days_go_on_the_rollup_list(
    redis_client: redis.Redis, engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    ensure_group(redis_client, CONFIG)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    redis_client.xadd(CONFIG.stream, record(org, 1))
    redis_client.xadd(
        CONFIG.stream, record(org, 2, created_at_ms=int(yesterday.timestamp() * 1000))
    )
    drain(redis_client, engine)
    assert set(dirty_snapshot(redis_client)) == {
        OrgDay(org.id, datetime.now(UTC).date()),
        OrgDay(org.id, yesterday.date()),
    }
