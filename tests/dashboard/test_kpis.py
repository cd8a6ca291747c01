"""Headline figures as display strings."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.analytics.totals import DayTotals
from gateway.dashboard.kpis import compact, kpis, milliseconds, percent, usd
from gateway.dashboard.overview import Overview


@pytest.mark.parametrize(
    ("micro", "text"),
    [
        (0, "$0.00"),
        (4_200, "$0.0042"),
        (12_300_000, "$12.30"),
        (1_204_000_000, "$1,204"),
        (-5_000_000, "-$5.00"),
    ],
)
def test_usd(micro: int, text: str) -> None:
    assert usd(micro) == text


@pytest.mark.parametrize(
    ("count", "text"), [(12, "12"), (999, "999"), (12_400, "12.4K"), (3_000_000, "3M")]
)
def test_compact(count: int, text: str) -> None:
    assert compact(count) == text


def test_rates_and_latencies() -> None:
    assert percent(None) == "—"
    assert percent(0.125) == "12.5%"
    assert percent(0.5) == "50%"
    assert milliseconds(None) == "—"
    assert milliseconds(420) == "420 ms"
    assert milliseconds(1500) == "1.50 s"


def test_kpis_of_an_overview() -> None:
    totals = DayTotals(
        requests=200,
        total_tokens=50_000,
        prompt_tokens=40_000,
        completion_tokens=10_000,
        cost=1_000_000,
        baseline_cost=4_000_000,
        cache_hits=20,
        cache_misses=180,
        errors=4,
        by_model={"a": {}, "b": {}},
        by_provider={"x": {}},
    )
    overview = Overview(date(2026, 11, 1), date(2026, 11, 7), (), totals, 35, 120, (), ())

    cards = {k.key: k for k in kpis(overview)}

    assert cards["requests"].value == "200"
    assert cards["saved"].value == "$3.00"
    assert cards["saved"].detail == "75% less than without routing"
    assert cards["cache"].value == "10%"
    assert cards["latency"].value == "35 ms" and cards["latency"].detail == "p95 120 ms"
    assert cards["errors"].value == "2%"
    assert cards["models"].detail == "across 1 providers" or "1 provider" in cards["models"].detail
