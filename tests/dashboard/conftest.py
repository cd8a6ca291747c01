"""Dashboard fixtures: organizations with usage rows written straight to the database."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from gateway.db.models import Organization, RequestLog, UsageDaily
from gateway.db.sessions import tenant_session

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
_numbers = itertools.count()


def log_row(org: Organization, created_at: datetime, **fields: Any) -> RequestLog:
    values: dict[str, Any] = {
        "request_id": f"dash_{next(_numbers)}",
        "org_id": org.id,
        "created_at": created_at,
        "provider": "groq",
        "model_requested": "auto",
        "model_used": "llama-3.3-70b-versatile",
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "cost": 80,
        "baseline_cost": 450,
        "latency_ms": 40,
        "status_code": 200,
        "cache_status": "miss",
    }
    values.update(fields)
    values["total_tokens"] = values["prompt_tokens"] + values["completion_tokens"]
    return RequestLog(**values)


@pytest.fixture
def add_logs(engine: Engine) -> Callable[..., None]:
    """add_logs(org, created_at, count=1, **fields): request_logs rows, committed."""

    def add(org: Organization, created_at: datetime, count: int = 1, **fields: Any) -> None:
        with tenant_session(engine, org.id) as session:
            session.add_all([log_row(org, created_at, **fields) for _ in range(count)])

    return add


@pytest.fixture
def add_day(engine: Engine) -> Callable[..., None]:
    """add_day(org, day, requests=…, …): one rolled-up usage_daily row."""

    def add(org: Organization, day: date, requests: int, **fields: Any) -> None:
        breakdown = {
            "requests": requests,
            "prompt_tokens": requests * 100,
            "completion_tokens": requests * 20,
            "cost": requests * 80,
            "baseline_cost": requests * 450,
        }
        values: dict[str, Any] = {
            "org_id": org.id,
            "day": day,
            "requests": requests,
            "prompt_tokens": requests * 100,
            "completion_tokens": requests * 20,
            "total_tokens": requests * 120,
            "cost": requests * 80,
            "baseline_cost": requests * 450,
            "cache_hits": 0,
            "cache_misses": requests,
            "errors": 0,
            "by_provider": {"openai": breakdown},
            "by_model": {"gpt-4o-mini": breakdown},
        }
        values.update(fields)
        with tenant_session(engine, org.id) as session:
            session.add(UsageDaily(**values))

    return add
