"""The usage report: history plus today's live rows, ranges, tables and their CSV, one org only."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from gateway.analytics.totals import DayTotals
from gateway.auth.permissions import Actor
from gateway.dashboard.figures import usage_breakdown_figure
from gateway.dashboard.usage import (
    MAX_DAYS,
    NOT_ROUTED,
    DayRange,
    UsageReport,
    UsageReports,
    UsageRow,
    UsageTable,
    display_row,
    display_usd,
    exact_usd,
    resolve_range,
    to_csv,
    usage_table,
)
from gateway.db.enums import MemberRole
from gateway.db.models import Organization
from tests.dashboard.conftest import NOW

MakeOrg = Callable[..., Organization]
TODAY = NOW.date()
WEEK = DayRange(TODAY - timedelta(days=6), TODAY)


@pytest.fixture
def reports(engine: Engine) -> UsageReports:
    return UsageReports(engine, clock=lambda: NOW)


def viewer(org: Organization) -> Actor:
    return Actor(uuid.uuid4(), org.id, MemberRole.VIEWER)


@pytest.fixture
def busy_org(
    make_org: MakeOrg, add_day: Callable[..., None], add_logs: Callable[..., None]
) -> Organization:
    """Two past days (openai / gpt-4o-mini) and live traffic today (groq, one unrouted)."""
    org = make_org("Acme")
    add_day(org, TODAY - timedelta(days=2), requests=10)
    add_day(org, TODAY - timedelta(days=5), requests=4)
    add_day(org, TODAY - timedelta(days=40), requests=99)  # outside a week
    add_logs(org, NOW - timedelta(hours=1), count=3)  # groq: cost 80, baseline 450 each
    add_logs(
        org,
        NOW - timedelta(minutes=2),
        status_code=429,
        provider=None,
        model_used=None,
        prompt_tokens=0,
        completion_tokens=0,
        cost=0,
        baseline_cost=0,
    )
    return org


async def test_the_report_adds_history_and_todays_live_rows(
    reports: UsageReports, busy_org: Organization
) -> None:
    report = await reports.report(viewer(busy_org), WEEK)

    assert [p.day for p in report.days] == [WEEK.first + timedelta(days=n) for n in range(7)]
    assert [p.requests for p in report.days] == [0, 4, 0, 0, 10, 0, 4]
    totals = report.totals
    assert totals.requests == 18
    assert totals.total_tokens == 14 * 120 + 3 * 120
    assert totals.cost == 14 * 80 + 3 * 80
    assert totals.saved == 14 * 370 + 3 * 370
    assert report.has_usage


async def test_grouped_tables_add_up_to_the_same_total(
    reports: UsageReports, busy_org: Organization
) -> None:
    report = await reports.report(viewer(busy_org), WEEK)

    by_day, by_provider, by_model = (usage_table(report, g) for g in ("day", "provider", "model"))

    assert [(r.label, r.requests, r.cost) for r in by_provider.rows] == [
        ("openai", 14, 14 * 80),
        ("groq", 3, 3 * 80),
        (NOT_ROUTED, 1, 0),
    ]
    assert [r.label for r in by_model.rows] == [
        "gpt-4o-mini",
        "llama-3.3-70b-versatile",
        NOT_ROUTED,
    ]
    for table in (by_day, by_provider, by_model):
        assert table.total == by_day.total
        for name in ("requests", "total_tokens", "cost", "baseline_cost"):
            assert sum(getattr(r, name) for r in table.rows) == getattr(table.total, name)
    assert by_day.total.saved == 17 * 370


async def test_a_range_that_ends_before_today_has_no_live_rows(
    reports: UsageReports, busy_org: Organization
) -> None:
    days = resolve_range(
        "custom", today=TODAY, start=TODAY - timedelta(days=6), end=TODAY - timedelta(days=1)
    )

    report = await reports.report(viewer(busy_org), days)

    assert report.days[-1].day == TODAY - timedelta(days=1)
    assert report.totals.requests == 14
    assert "groq" not in report.totals.by_provider


async def test_longer_presets_reach_further_back(
    reports: UsageReports, busy_org: Organization
) -> None:
    report = await reports.report(viewer(busy_org), resolve_range("90d", today=TODAY))

    assert len(report.days) == 90
    assert report.totals.requests == 99 + 18


async def test_another_organizations_usage_is_never_counted(
    reports: UsageReports, busy_org: Organization, make_org: MakeOrg
) -> None:
    stranger = make_org("Stranger")

    report = await reports.report(viewer(stranger), resolve_range("90d", today=TODAY))

    assert report.totals.requests == 0
    assert not report.has_usage
    assert usage_table(report, "provider").rows == ()


def test_csv_holds_exactly_the_table_rows_with_exact_dollars() -> None:
    rows = (
        UsageRow("openai", 3, 30, 6, 36, 100_000, 350_001),
        UsageRow("groq", 2, 20, 4, 24, 200_000, 199_999),
    )
    total = UsageRow("Total", 5, 50, 10, 60, 300_000, 550_000)
    table = UsageTable("provider", rows, total)

    parsed = list(csv.reader(io.StringIO(to_csv(table))))

    assert parsed[0] == [
        "provider",
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost_usd",
        "baseline_cost_usd",
        "saved_usd",
    ]
    assert parsed[1:] == [
        ["openai", "3", "30", "6", "36", "0.100000", "0.350001", "0.250001"],
        ["groq", "2", "20", "4", "24", "0.200000", "0.199999", "-0.000001"],
        ["Total", "5", "50", "10", "60", "0.300000", "0.550000", "0.250000"],
    ]
    shown = [display_row(row) for row in (*rows, total)]
    assert [line[0] for line in parsed[1:]] == [row["label"] for row in shown]
    assert [line[1] for line in parsed[1:]] == [row["requests"].replace(",", "") for row in shown]
    assert shown[2]["cost"] == "$0.30"  # 0.1 + 0.2, summed in micro-USD


async def test_the_csv_of_a_report_matches_its_table(
    reports: UsageReports, busy_org: Organization
) -> None:
    report = await reports.report(viewer(busy_org), WEEK)
    for group in ("day", "provider", "model"):
        table = usage_table(report, group)

        parsed = list(csv.DictReader(io.StringIO(to_csv(table))))

        assert [line[group] for line in parsed] == [r.label for r in (*table.rows, table.total)]
        for line, row in zip(parsed, (*table.rows, table.total), strict=True):
            assert int(line["requests"]) == row.requests
            assert int(line["total_tokens"]) == row.total_tokens
            assert line["cost_usd"] == exact_usd(row.cost)
            assert line["saved_usd"] == exact_usd(row.saved)


@pytest.mark.parametrize(
    ("micro", "shown", "exact"),
    [
        (0, "$0.00", "0.000000"),
        (42, "$0.000042", "0.000042"),
        (4_200, "$0.0042", "0.004200"),
        (12_345_678, "$12.35", "12.345678"),
        (5_000, "$0.0050", "0.005000"),
        (10_000, "$0.01", "0.010000"),
        (1_204_000_000, "$1,204.00", "1204.000000"),
        (-2_500_000, "-$2.50", "-2.500000"),
        (10**15 + 1, "$1,000,000,000.00", "1000000000.000001"),
    ],
)
def test_dollars_are_formatted_from_integers(micro: int, shown: str, exact: str) -> None:
    assert display_usd(micro) == shown
    assert exact_usd(micro) == exact


def test_ranges() -> None:
    assert resolve_range("7d", today=TODAY) == WEEK
    assert resolve_range("30d", today=TODAY).days == 30
    assert resolve_range("custom", today=TODAY, start="2026-11-01", end="2027-01-01") == DayRange(
        date(2026, 11, 1), TODAY
    )  # an end after today stops at today
    for start, end in [
        ("2026-11-20", "2026-11-10"),  # end before start
        ("2026-12-01", "2026-12-02"),  # in the future
        ("yesterday", "2026-11-10"),
        (str(TODAY - timedelta(days=MAX_DAYS)), str(TODAY)),  # one day too long
    ]:
        with pytest.raises(ValueError):
            resolve_range("custom", today=TODAY, start=start, end=end)
    with pytest.raises(ValueError):
        resolve_range("1y", today=TODAY)
    with pytest.raises(ValueError):
        usage_table(UsageReport(WEEK, (), DayTotals()), "week")


def test_breakdown_figure_charts_cost_and_savings_largest_on_top() -> None:
    rows = (
        UsageRow("openai", 3, 30, 6, 36, 900_000, 1_000_000),
        UsageRow("groq", 2, 20, 4, 24, 100_000, 600_000),
    )

    figure = usage_breakdown_figure(rows)

    cost, saved = figure.data
    assert list(cost.y) == ["groq", "openai"]
    assert list(cost.x) == [0.1, 0.9]
    assert list(saved.x) == [0.5, 0.1]


@pytest.mark.parametrize("role", list(MemberRole))
async def test_every_role_may_read_usage(
    reports: UsageReports, busy_org: Organization, role: MemberRole
) -> None:
    report = await reports.report(Actor(uuid.uuid4(), busy_org.id, role), WEEK)

    assert report.totals.requests == 18
