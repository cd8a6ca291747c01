"""An organization's overview for a range of days, ending today.

Past days come from usage_daily (one row per day); today comes live from request_logs,
aggregated over today's rows of the organization through its (org_id, created_at)
index, so traffic shows up as soon as the ingestion worker has written it, without
waiting for the next roll-up. Latency percentiles come from the most recent
`LATENCY_SAMPLE` successful requests of the range.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.analytics.queries import DailyPoint, daily_usage, usage_totals
from gateway.analytics.rollup import day_groups
from gateway.analytics.totals import DayTotals, fold_by_day
from gateway.db.models import RequestLog
from gateway.db.sessions import tenant_session

RANGES: dict[str, int] = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
DEFAULT_RANGE = "7d"
LATENCY_SAMPLE = 5_000
TOP_N = 5


@dataclass(frozen=True, slots=True)
class Ranked:
    """One provider's or model's share of the range."""

    name: str
    requests: int
    cost: int
    share: float


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the overview page shows; money in integer micro-USD."""

    first: date
    last: date
    days: tuple[DailyPoint, ...]
    totals: DayTotals
    p50_ms: int | None
    p95_ms: int | None
    top_models: tuple[Ranked, ...]
    top_providers: tuple[Ranked, ...]

    @property
    def has_traffic(self) -> bool:
        return self.totals.requests > 0

    @property
    def cache_hit_rate(self) -> float | None:
        """Hits over cacheable answers (hits + misses), or None before any."""
        answered = self.totals.cache_hits + self.totals.cache_misses
        return self.totals.cache_hits / answered if answered else None

    @property
    def error_rate(self) -> float | None:
        return self.totals.errors / self.totals.requests if self.totals.requests else None

    @property
    def saved(self) -> int:
        return self.totals.saved


def range_days(name: str) -> int:
    """The number of days a range name covers; unknown names get the default range."""
    return RANGES.get(name, RANGES[DEFAULT_RANGE])


def load_overview(engine: Engine, *, org_id: uuid.UUID, days: int, now: datetime) -> Overview:
    """The organization's overview for the `days` days ending on `now`'s UTC day."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=max(1, days) - 1)
    with tenant_session(engine, org_id) as session:
        return overview_in(session, org_id=org_id, first=first, today=today)


def overview_in(session: Session, *, org_id: uuid.UUID, first: date, today: date) -> Overview:
    """`load_overview` inside a session already scoped to the organization."""
    yesterday = today - timedelta(days=1)
    past = daily_usage(session, org_id=org_id, first=first, last=yesterday)
    totals = usage_totals(session, org_id=org_id, first=first, last=yesterday)
    live = fold_by_day(day_groups(session, org_id=org_id, first=today, last=today))
    today_totals = live.get(today, DayTotals())
    totals.add(today_totals)
    points = (*past, DailyPoint(today, **today_totals.counts()))
    latencies = recent_latencies(session, org_id=org_id, since=_midnight(first))
    return Overview(
        first=first,
        last=today,
        days=points,
        totals=totals,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        top_models=ranked(totals.by_model, totals.requests),
        top_providers=ranked(totals.by_provider, totals.requests),
    )


def recent_latencies(
    session: Session, *, org_id: uuid.UUID, since: datetime, limit: int = LATENCY_SAMPLE
) -> list[int]:
    """Latencies (ms) of the organization's latest successful requests since `since`."""
    statement = (
        select(RequestLog.latency_ms)
        .where(
            RequestLog.org_id == org_id,
            col(RequestLog.created_at) >= since,
            col(RequestLog.status_code) < 400,
        )
        .order_by(col(RequestLog.created_at).desc())
        .limit(limit)
    )
    return [int(value) for value in session.exec(statement)]


def percentile(values: Sequence[int], pct: float) -> int | None:
    """The nearest-rank `pct` percentile of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ranked(
    breakdown: Mapping[str, Mapping[str, int]], total_requests: int, limit: int = TOP_N
) -> tuple[Ranked, ...]:
    """The `limit` largest entries of a breakdown by requests (then cost, then name)."""
    rows = [
        Ranked(
            name,
            int(entry.get("requests", 0)),
            int(entry.get("cost", 0)),
            int(entry.get("requests", 0)) / total_requests if total_requests else 0.0,
        )
        for name, entry in breakdown.items()
    ]
    rows.sort(key=lambda row: (-row.requests, -row.cost, row.name))
    return tuple(rows[:limit])


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
