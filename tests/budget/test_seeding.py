"""The spend seed: what the database holds for the period plus what still waits in the usage
stream, each request counted once; and the admission that seeds before it admits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.budget import Limits, RedisAdmissionStore, admission_for
from gateway.budget.admission import Admission
from gateway.budget.seeding import SeedingAdmission, SpendSeeder
from gateway.db.models import Organization
from gateway.usage import USAGE_STREAM
from workers.ingest import store_rows

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)  # the period 2026-12-01 .. 2027-01-01
LIMITS = Limits(100, 10**9, None, None, budget_tokens=None, budget_usd_micro=10_000)


def row(org: uuid.UUID, request_id: str, day: int, tokens: int, cost: int) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "org_id": org,
        "api_key_id": None,
        "created_at": datetime(2026, 12 if day > 0 else 11, abs(day), 9, tzinfo=UTC),
        "provider": "openai",
        "model_requested": "gpt-4o",
        "model_used": "gpt-4o",
        "prompt_tokens": tokens,
        "completion_tokens": 0,
        "total_tokens": tokens,
        "cost": cost,
        "baseline_cost": cost,
        "latency_ms": 5,
        "ttfb_ms": None,
        "status_code": 200,
        "error_type": None,
        "cache_status": "miss",
        "streamed": False,
        "cache_similarity": None,
        "routing": None,
    }


def record(org: uuid.UUID, request_id: str, day: int, tokens: int, cost: int) -> dict[str, Any]:
    created = datetime(2026, 12 if day > 0 else 11, abs(day), 10, tzinfo=UTC)
    return {
        "request_id": request_id,
        "org_id": str(org),
        "created_at_ms": int(created.timestamp() * 1000),
        "prompt_tokens": tokens // 2,
        "completion_tokens": tokens - tokens // 2,
        "cost_micro": cost,
    }


def asking(org: uuid.UUID) -> Admission:
    return admission_for(
        str(org), "key", LIMITS, tokens=10, cost_micro=1, now=NOW.timestamp(), budget_reset_day=1
    )


async def test_the_seed_counts_the_database_and_the_stream_once_each(
    engine: Engine, async_redis: aioredis.Redis, make_org: Callable[..., Organization]
) -> None:
    org, other = make_org(name="Acme").id, make_org(name="Other").id
    store_rows(
        engine,
        [
            row(org, "r1", 2, 100, 1_000),
            row(org, "r2", 9, 50, 500),
            row(org, "last-month", -28, 7_000, 70_000),
            row(other, "theirs", 3, 900, 9_000),
        ],
    )
    for fields in (
        record(org, "r2", 9, 50, 500),  # ingested already, not yet trimmed: counted once
        record(org, "r3", 10, 30, 300),  # still waiting: counted
        record(org, "r4", -30, 40, 400),  # last month: not this period
        record(other, "theirs-too", 10, 80, 800),
    ):
        await async_redis.xadd(USAGE_STREAM, fields)
    store = RedisAdmissionStore(async_redis)

    await SpendSeeder(engine, async_redis, store).seed(asking(org))

    assert await store.spend(str(org), "2026-12-01") == (180, 1_800)


async def test_the_admission_seeds_once_then_admits(
    engine: Engine, async_redis: aioredis.Redis, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Acme").id
    store_rows(engine, [row(org, "r1", 2, 100, 9_990)])  # 10 micro-USD left of 10,000
    store = RedisAdmissionStore(async_redis)
    admission = SeedingAdmission(store, SpendSeeder(engine, async_redis, store))

    results = await asyncio.gather(*(admission.admit(asking(org)) for _ in range(20)))

    assert sum(r.admitted for r in results) == 10  # one micro-USD each, 10 left
    assert await store.spend(str(org), "2026-12-01") == (100, 9_990)
