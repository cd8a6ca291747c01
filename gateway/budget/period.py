"""Budget periods: the month an organization's caps apply to, starting on its reset day.

Budget counters are keyed by the period's id, so a new period starts from zero at the
boundary by construction; nothing has to reset them. Periods are in UTC.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

PERIOD_GRACE_S = 7 * 24 * 3600
"""How long a period's counters outlive its end, for late settles, alerts and reconciliation."""


@dataclass(frozen=True, slots=True)
class Period:
    """One budget period: [starts_at, ends_at), identified by its first day ("2026-11-05")."""

    id: str
    starts_at: datetime
    ends_at: datetime

    def ttl_s(self, now: datetime) -> int:
        """Seconds the period's counters should live from `now`: to its end plus a grace."""
        return period_ttl_s(self, now.timestamp())

    @classmethod
    def of_id(cls, period_id: str) -> Period:
        """The period an id names: a month from its first day."""
        starts_at = datetime.fromisoformat(period_id).replace(tzinfo=UTC)
        ends_at = _month_start(starts_at.year, starts_at.month + 1, starts_at.day)
        return cls(period_id, starts_at, ends_at)


def _month_start(year: int, month: int, day: int) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, day, tzinfo=UTC)


def budget_period(now: datetime, reset_day: int) -> Period:
    """The period containing `now` (timezone-aware) for an organization resetting on `reset_day`.

    `reset_day` is 1-28 so that every month has it.
    """
    if not 1 <= reset_day <= 28:
        raise ValueError(f"budget reset day must be 1-28, got {reset_day}")
    if now.tzinfo is None:
        raise ValueError("budget_period needs a timezone-aware datetime")
    now = now.astimezone(UTC)
    back = 0 if now.day >= reset_day else 1
    starts_at = _month_start(now.year, now.month - back, reset_day)
    ends_at = _month_start(starts_at.year, starts_at.month + 1, reset_day)
    return Period(starts_at.date().isoformat(), starts_at, ends_at)


def budget_period_at(now: float, reset_day: int) -> Period:
    """`budget_period` for a POSIX timestamp, the clock the admission path carries."""
    return _period_of_day(int(now // 86_400), reset_day)


@functools.lru_cache(maxsize=256)
def _period_of_day(day: int, reset_day: int) -> Period:
    """The period of a UTC day (days since the epoch): every request of a day asks for it."""
    return budget_period(datetime.fromtimestamp(day * 86_400, UTC), reset_day)


def period_ttl_s(period: Period, now: float) -> int:
    """`Period.ttl_s` for a POSIX timestamp."""
    return max(1, int(period.ends_at.timestamp() - now) + PERIOD_GRACE_S)
