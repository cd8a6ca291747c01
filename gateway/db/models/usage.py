"""What tenants used: one row per request, daily roll-ups, and the budget alerts raised.

These are records rather than entities, so they take 64-bit autoincrement keys;
each carries a natural unique key (request_id, org + day, org + period + kind +
threshold) that makes ingestion and roll-ups idempotent.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.db.enums import BudgetKind, CacheStatus
from gateway.db.models.base import utcnow
from gateway.db.models.types import (
    BIGINT_PK,
    JSONType,
    MicroUSD,
    StrEnumType,
    UTCDateTime,
    enum_check,
)


def _partial(predicate: str) -> dict[str, Any]:
    """A partial index's predicate, on both databases."""
    clause = sa.text(predicate)
    return {"postgresql_where": clause, "sqlite_where": clause}


class RequestLog(SQLModel, table=True):
    """One gateway request as recorded by the ingestion worker; cost in micro-USD.

    `provider` and `model_used` are None when no upstream was called (a request
    refused by a limit, or failed on every candidate before a choice stuck).
    """

    __tablename__ = "request_logs"
    # The request log page's filters, newest first by (created_at, id): see migration 0003.
    __table_args__ = (
        sa.Index(None, "org_id", "created_at", "id"),
        sa.Index(None, "org_id", "provider", "created_at", "id"),
        sa.Index(None, "org_id", "model_used", "created_at", "id"),
        sa.Index(None, "org_id", "api_key_id", "created_at", "id"),
        sa.Index(
            "ix_request_logs_org_id_created_at_id_errors",
            "org_id",
            "created_at",
            "id",
            **_partial("status_code >= 400"),
        ),
        sa.Index(
            None, "org_id", "status_code", "created_at", "id", **_partial("status_code >= 400")
        ),
        sa.Index(
            None, "org_id", "cache_status", "created_at", "id", **_partial("cache_status <> 'miss'")
        ),
        enum_check("cache_status", CacheStatus),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGINT_PK)
    request_id: str = Field(sa_type=sa.String(64), unique=True)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    api_key_id: uuid.UUID | None = Field(
        default=None, foreign_key="api_keys.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    provider: str | None = Field(default=None, sa_type=sa.String(32))
    model_requested: str = Field(sa_type=sa.String(128))
    model_used: str | None = Field(default=None, sa_type=sa.String(128))
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: int = Field(default=0, sa_type=MicroUSD())
    baseline_cost: int = Field(default=0, sa_type=MicroUSD())
    latency_ms: int = 0
    ttfb_ms: int | None = None
    status_code: int = Field(default=200, sa_type=sa.SmallInteger())
    error_type: str | None = Field(default=None, sa_type=sa.String(64))
    cache_status: CacheStatus = Field(default=CacheStatus.MISS, sa_type=StrEnumType(CacheStatus))
    cache_similarity: float | None = None
    streamed: bool = False
    routing: dict[str, Any] | None = Field(default=None, sa_type=JSONType)


class UsageDaily(SQLModel, table=True):
    """One organization's totals for one UTC day; breakdowns keyed by provider and by model."""

    __tablename__ = "usage_daily"
    __table_args__ = (sa.UniqueConstraint("org_id", "day"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGINT_PK)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    day: date
    requests: int = Field(default=0, sa_type=sa.BigInteger())
    prompt_tokens: int = Field(default=0, sa_type=sa.BigInteger())
    completion_tokens: int = Field(default=0, sa_type=sa.BigInteger())
    total_tokens: int = Field(default=0, sa_type=sa.BigInteger())
    cost: int = Field(default=0, sa_type=MicroUSD())
    baseline_cost: int = Field(default=0, sa_type=MicroUSD())
    cache_hits: int = Field(default=0, sa_type=sa.BigInteger())
    cache_misses: int = Field(default=0, sa_type=sa.BigInteger())
    errors: int = Field(default=0, sa_type=sa.BigInteger())
    by_provider: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    by_model: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime(), sa_column_kwargs={"onupdate": utcnow}
    )


class BudgetAlert(SQLModel, table=True):
    """A budget threshold crossed in one budget period (its id, e.g. "2026-11-05"); once each."""

    __tablename__ = "budget_alerts"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "period", "kind", "threshold"),
        enum_check("kind", BudgetKind),
        sa.CheckConstraint("threshold BETWEEN 1 AND 100", name="threshold"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGINT_PK)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    period: str = Field(sa_type=sa.String(16))
    kind: BudgetKind = Field(sa_type=StrEnumType(BudgetKind))
    threshold: int = Field(sa_type=sa.SmallInteger())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    attempts: int = 0
