"""Usage totals as plain values: what one usage_daily row holds, and how groups add up. Pure.

A roll-up reads request_logs grouped by (day, provider, model) and folds the groups into one
`DayTotals` per day; the dashboard folds usage_daily rows the same way into a range's totals.
Money is integer micro-USD throughout; breakdowns are JSON-ready dicts keyed by provider
and by model, each entry a `Breakdown` as a dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

BREAKDOWN_FIELDS = ("requests", "prompt_tokens", "completion_tokens", "cost", "baseline_cost")


@dataclass(frozen=True, slots=True)
class Group:
    """Aggregates of one (day, provider, model) group of request_logs rows."""

    day: date
    provider: str | None
    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: int
    baseline_cost: int
    cache_hits: int
    cache_misses: int
    errors: int


@dataclass(slots=True)
class DayTotals:
    """One organization's usage over a day (or a range of days)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: int = 0
    baseline_cost: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    errors: int = 0
    by_provider: dict[str, dict[str, int]] = field(default_factory=dict)
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def saved(self) -> int:
        """Micro-USD saved against the baseline model (negative when routing cost more)."""
        return self.baseline_cost - self.cost

    def add(self, other: Group | DayTotals) -> None:
        """Add a group's (or another total's) counts, breakdowns included."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if isinstance(other, Group):
            entry = {name: getattr(other, name) for name in BREAKDOWN_FIELDS}
            if other.provider:
                _merge(self.by_provider, {other.provider: entry})
            if other.model:
                _merge(self.by_model, {other.model: entry})
        else:
            _merge(self.by_provider, other.by_provider)
            _merge(self.by_model, other.by_model)

    def counts(self) -> dict[str, int]:
        """The scalar columns of a usage_daily row."""
        return {name: getattr(self, name) for name in _COUNTS}


_COUNTS = tuple(f.name for f in fields(DayTotals) if f.name not in ("by_provider", "by_model"))


def fold_by_day(groups: Iterable[Group]) -> dict[date, DayTotals]:
    """The groups added up into one `DayTotals` per day."""
    days: dict[date, DayTotals] = {}
    for group in groups:
        days.setdefault(group.day, DayTotals()).add(group)
    return days


def _merge(into: dict[str, dict[str, int]], more: Mapping[str, Mapping[str, Any]]) -> None:
    for name, entry in more.items():
        target = into.setdefault(name, dict.fromkeys(BREAKDOWN_FIELDS, 0))
        for key in BREAKDOWN_FIELDS:
            target[key] += int(entry.get(key, 0))
