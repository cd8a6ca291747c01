"""The usage report: requests, tokens, cost and money saved over a range of days.

Past days come from usage_daily (its totals and its by_provider / by_model breakdowns);
today, when the range reaches it, comes live from request_logs (`day_groups`, the roll-up's
own query), exactly as the overview adds them up. The report is grouped by day, by provider
or by model into a `UsageTable`; the page shows that table and the CSV export writes the
same rows, so what is downloaded is what was on screen.

Money stays integer micro-USD until it is shown: totals are sums of integers, and dollars
are formatted with `decimal`, so no float rounding creeps into a total.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine

from gateway.analytics.queries import DailyPoint, daily_usage, usage_totals
from gateway.analytics.rollup import day_groups
from gateway.analytics.totals import DayTotals, fold_by_day
from gateway.auth.permissions import Action, Actor, require
from gateway.db.sessions import tenant_session

PRESETS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PRESET = "30d"
MAX_DAYS = 366
GROUPS = ("day", "provider", "model")
NOT_ROUTED = "(not routed)"
MICRO = 1_000_000
CSV_COLUMNS = (
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost_usd",
    "baseline_cost_usd",
    "saved_usd",
)


@dataclass(frozen=True, slots=True)
class DayRange:
    """Whole UTC days, `first` to `last` inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One line of the usage table: a day, a provider or a model; money in micro-USD."""

    label: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: int
    baseline_cost: int

    @property
    def saved(self) -> int:
        return self.baseline_cost - self.cost


@dataclass(frozen=True, slots=True)
class UsageReport:
    """The range's days, totals and breakdowns (today's live rows included)."""

    range: DayRange
    days: tuple[DailyPoint, ...]
    totals: DayTotals

    @property
    def has_usage(self) -> bool:
        return self.totals.requests > 0


@dataclass(frozen=True, slots=True)
class UsageTable:
    """What the page's table shows, and what its CSV export contains."""

    group: str
    rows: tuple[UsageRow, ...]
    total: UsageRow


def resolve_range(
    preset: str, *, today: date, start: str | date | None = None, end: str | date | None = None
) -> DayRange:
    """A preset ("7d", "30d", "90d") ending today, or "custom" from `start` to `end`.

    ValueError for an unknown preset, an unreadable date, an end before the start, a start
    in the future or a span over `MAX_DAYS`; an end after today is cut back to today.
    """
    if preset in PRESETS:
        return DayRange(today - timedelta(days=PRESETS[preset] - 1), today)
    if preset != "custom":
        raise ValueError(f"range must be one of {(*PRESETS, 'custom')}")
    first, last = _date(start, "start"), min(_date(end, "end"), today)
    if first > today:
        raise ValueError("the start date is in the future")
    if last < first:
        raise ValueError("the end date is before the start date")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"a range covers at most {MAX_DAYS} days")
    return DayRange(first, last)


class UsageReports:
    """Usage over a range of days, as the dashboard reads it (viewers and up)."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._clock = clock

    def today(self) -> date:
        return self._clock().astimezone(UTC).date()

    async def report(self, actor: Actor, days: DayRange) -> UsageReport:
        """The organization's usage over `days`; today's part is live."""
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(self._report, actor.org_id, days)

    def _report(self, org_id: uuid.UUID, days: DayRange) -> UsageReport:
        today = self.today()
        last_past = min(days.last, today - timedelta(days=1))
        with tenant_session(self._engine, org_id) as session:
            past = daily_usage(session, org_id=org_id, first=days.first, last=last_past)
            totals = usage_totals(session, org_id=org_id, first=days.first, last=last_past)
            points = list(past)
            if days.first <= today <= days.last:
                live = fold_by_day(day_groups(session, org_id=org_id, first=today, last=today))
                today_totals = live.get(today, DayTotals())
                totals.add(today_totals)
                points.append(DailyPoint(today, **today_totals.counts()))
        return UsageReport(days, tuple(points), totals)


def usage_table(report: UsageReport, group: str) -> UsageTable:
    """The report as table rows: days oldest first; providers and models by cost, largest first.

    Requests that never reached a provider (refused by a limit, or failed on every
    candidate) appear in no provider or model breakdown; they get a row of their own, so
    every grouping's rows add up to the same total.
    """
    totals = report.totals
    total = UsageRow("Total", *_counts(totals))
    if group == "day":
        rows = tuple(UsageRow(p.day.isoformat(), *_counts(p)) for p in report.days)
    elif group in ("provider", "model"):
        breakdown = totals.by_provider if group == "provider" else totals.by_model
        rows = _breakdown_rows(breakdown, total)
    else:
        raise ValueError(f"group must be one of {GROUPS}")
    return UsageTable(group, rows, total)


def to_csv(table: UsageTable) -> str:
    """The table as CSV: its rows then its total, money as exact dollars (6 decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((table.group, *CSV_COLUMNS))
    for row in (*table.rows, table.total):
        writer.writerow(
            (
                row.label,
                row.requests,
                row.prompt_tokens,
                row.completion_tokens,
                row.total_tokens,
                exact_usd(row.cost),
                exact_usd(row.baseline_cost),
                exact_usd(row.saved),
            )
        )
    return out.getvalue()


def csv_filename(table: UsageTable, days: DayRange) -> str:
    return (
        f"routerai-usage-by-{table.group}-{days.first.isoformat()}-to-{days.last.isoformat()}.csv"
    )


def exact_usd(micro: int) -> str:
    """Micro-USD as an exact dollar amount: 1_234_567 → "1.234567"."""
    return str(Decimal(micro).scaleb(-6).quantize(Decimal("0.000001")))


def display_usd(micro: int) -> str:
    """Dollars for the table, never via a float: cents from one cent up ($12.35, half up);
    below that every significant micro-dollar, at least four decimals ($0.0042, $0.000042)."""
    amount = Decimal(micro).scaleb(-6)
    if micro == 0 or abs(amount) >= Decimal("0.01"):
        text = f"{abs(amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)):,}"
    else:
        digits = f"{abs(amount):.6f}".rstrip("0")
        text = digits.ljust(len("0.0000"), "0")
    return f"{'-' if micro < 0 else ''}${text}"


def display_row(row: UsageRow) -> dict[str, str]:
    """A table row as the page shows it."""
    return {
        "label": row.label,
        "requests": f"{row.requests:,}",
        "prompt_tokens": f"{row.prompt_tokens:,}",
        "completion_tokens": f"{row.completion_tokens:,}",
        "total_tokens": f"{row.total_tokens:,}",
        "cost": display_usd(row.cost),
        "baseline_cost": display_usd(row.baseline_cost),
        "saved": display_usd(row.saved),
    }


def _breakdown_rows(
    breakdown: Mapping[str, Mapping[str, Any]], total: UsageRow
) -> tuple[UsageRow, ...]:
    rows = [_entry_row(name, entry) for name, entry in breakdown.items()]
    rows.sort(key=lambda row: (-row.cost, -row.requests, row.label))
    rest = UsageRow(
        NOT_ROUTED,
        *(getattr(total, name) - sum(getattr(row, name) for row in rows) for name in _ROW_COUNTS),
    )
    if any(getattr(rest, name) for name in _ROW_COUNTS):
        rows.append(rest)
    return tuple(rows)


_ROW_COUNTS = (
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost",
    "baseline_cost",
)


def _entry_row(name: str, entry: Mapping[str, Any]) -> UsageRow:
    prompt, completion = int(entry.get("prompt_tokens", 0)), int(entry.get("completion_tokens", 0))
    return UsageRow(
        name,
        int(entry.get("requests", 0)),
        prompt,
        completion,
        prompt + completion,
        int(entry.get("cost", 0)),
        int(entry.get("baseline_cost", 0)),
    )


def _counts(source: DailyPoint | DayTotals) -> Sequence[int]:
    return tuple(int(getattr(source, name)) for name in _ROW_COUNTS)


def _date(value: str | date | None, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValueError(f"the {name} date is not a date (YYYY-MM-DD)") from None
