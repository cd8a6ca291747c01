"""Folding (day, provider, model) groups into daily totals. Pure."""

from __future__ import annotations

from datetime import date

from gateway.analytics.totals import DayTotals, Group, fold_by_day

DAY, NEXT = date(2026, 11, 25), date(2026, 11, 26)


def group(day: date, provider: str | None, model: str | None, **counts: int) -> Group:
    values = dict.fromkeys(
        ("requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost"), 1
    )
    values |= {"baseline_cost": 3, "cache_hits": 0, "cache_misses": 1, "errors": 0}
    values |= counts
    return Group(day, provider, model, **values)


def test_groups_fold_into_one_total_per_day_with_breakdowns() -> None:
    days = fold_by_day(
        [
            group(DAY, "openai", "gpt-4o", requests=2, cost=10),
            group(DAY, "openai", "gpt-4o-mini", cost=5),
            group(DAY, "groq", "gpt-4o-mini", cost=1),
            group(NEXT, "openai", "gpt-4o", cost=7),
        ]
    )
    assert sorted(days) == [DAY, NEXT]
    day = days[DAY]
    assert (day.requests, day.cost, day.baseline_cost, day.saved) == (4, 16, 9, -7)
    assert day.by_provider["openai"]["cost"] == 15 and day.by_provider["groq"]["requests"] == 1
    assert day.by_model["gpt-4o-mini"] == {
        "requests": 2,
        "prompt_tokens": 2,
        "completion_tokens": 2,
        "cost": 6,
        "baseline_cost": 6,
    }


def test_requests_without_a_provider_count_in_totals_but_in_no_breakdown() -> None:
    day = fold_by_day([group(DAY, None, None, errors=1, cache_misses=0)])[DAY]
    assert (day.requests, day.errors, day.by_provider, day.by_model) == (1, 1, {}, {})


def test_totals_add_up_with_their_breakdowns() -> None:
    first = fold_by_day([group(DAY, "openai", "gpt-4o", cost=2)])[DAY]
    second = fold_by_day([group(NEXT, "openai", "gpt-4o", cost=3)])[NEXT]
    total = DayTotals()
    total.add(first)
    total.add(second)
    assert (total.cost, total.by_model["gpt-4o"]["cost"], total.requests) == (5, 5, 2)
