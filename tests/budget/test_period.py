"""Budget periods: which month a moment belongs to, for every reset day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.budget.period import PERIOD_GRACE_S, budget_period, budget_period_at


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "reset_day", "period_id", "ends_at"),
    [
        (_utc(2026, 11, 5), 5, "2026-11-05", _utc(2026, 12, 5)),  # the boundary itself
        (_utc(2026, 11, 4, 23, 59, 59), 5, "2026-10-05", _utc(2026, 11, 5)),  # just before
        (_utc(2026, 11, 30, 12), 5, "2026-11-05", _utc(2026, 12, 5)),
        (_utc(2026, 12, 31), 28, "2026-12-28", _utc(2027, 1, 28)),  # over the year's end
        (_utc(2027, 1, 3), 28, "2026-12-28", _utc(2027, 1, 28)),
        (_utc(2027, 1, 1), 1, "2027-01-01", _utc(2027, 2, 1)),
        (_utc(2028, 2, 29), 28, "2028-02-28", _utc(2028, 3, 28)),  # leap day
        (_utc(2026, 3, 1), 28, "2026-02-28", _utc(2026, 3, 28)),
    ],
)
def test_budget_period(now: datetime, reset_day: int, period_id: str, ends_at: datetime) -> None:
    period = budget_period(now, reset_day)
    assert period.id == period_id
    assert period.starts_at <= now < period.ends_at
    assert period.ends_at == ends_at
    assert period.starts_at == datetime.fromisoformat(period_id).replace(tzinfo=UTC)


def test_periods_are_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 2026-11-05 03:00 in Tokyo is still the 4th in UTC
    assert budget_period(datetime(2026, 11, 5, 3, tzinfo=tokyo), 5).id == "2026-10-05"


def test_consecutive_periods_touch() -> None:
    period = budget_period(_utc(2026, 6, 10), 10)
    assert budget_period(period.ends_at, 10).starts_at == period.ends_at
    assert budget_period(period.ends_at - timedelta(microseconds=1), 10) == period


@pytest.mark.parametrize("reset_day", [0, 29, 31, -1])
def test_reset_day_must_exist_in_every_month(reset_day: int) -> None:
    with pytest.raises(ValueError, match="1-28"):
        budget_period(_utc(2026, 1, 1), reset_day)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        budget_period(datetime(2026, 1, 1), 1)


def test_ttl_runs_to_the_end_plus_grace() -> None:
    now = _utc(2026, 11, 30)
    period = budget_period(now, 5)
    assert period.ttl_s(now) == 5 * 86_400 + PERIOD_GRACE_S
    assert period.ttl_s(period.ends_at + timedelta(days=30)) == 1


def test_from_a_timestamp() -> None:
    now = _utc(2026, 11, 5, 0, 0, 1)
    assert budget_period_at(now.timestamp(), 5) == budget_period(now, 5)


def test_timestamps_turn_over_to_the_next_period_on_the_reset_day() -> None:
    inside = _utc(2026, 11, 20).timestamp()
    assert budget_period_at(inside, 5).id == "2026-11-05"
    assert budget_period_at(inside, 25).id == "2026-10-25"  # each reset day its own period
    boundary = _utc(2026, 12, 5).timestamp()
    assert budget_period_at(boundary - 0.001, 5).id == "2026-11-05"
    assert budget_period_at(boundary, 5).id == "2026-12-05"
    assert budget_period_at(inside, 5).id == "2026-11-05"  # and back, for a late settle
