"""Pure chart builders: overview rows in, plotly figures out."""

from __future__ import annotations

from datetime import date, timedelta

from gateway.analytics.queries import DailyPoint
from gateway.dashboard.figures import (
    count_axis,
    money_axis,
    ranking_figure,
    spend_figure,
    traffic_figure,
)
from gateway.dashboard.overview import Ranked

DAY = date(2026, 11, 20)


def point(offset: int, requests: int, **fields: int) -> DailyPoint:
    values = {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "cost": 0,
        "baseline_cost": 0,
        "cache_hits": 0,
        "cache_misses": 0,
        "errors": 0,
    }
    values.update(fields)
    return DailyPoint(DAY + timedelta(days=offset), requests, **values)


def test_traffic_stacks_answered_cached_and_failed_requests_per_day() -> None:
    points = [point(0, 10, cache_hits=3, errors=1), point(1, 4), point(2, 0)]

    figure = traffic_figure(points)

    answered, cached, failed = figure.data
    assert [trace.name for trace in figure.data] == ["Answered", "From cache", "Errors"]
    assert list(answered.y) == [6, 4, 0]
    assert list(cached.y) == [3, 0, 0]
    assert list(failed.y) == [1, 0, 0]
    assert list(answered.x) == [p.day for p in points]
    assert figure.layout.barmode == "stack"


def test_spend_compares_cost_with_the_baseline_in_dollars() -> None:
    figure = spend_figure([point(0, 1, cost=250_000, baseline_cost=1_000_000), point(1, 0)])

    baseline, cost = figure.data
    assert list(baseline.y) == [1.0, 0.0]
    assert list(cost.y) == [0.25, 0.0]
    assert cost.fill == "tonexty"  # the shaded gap down from the baseline is the saving
    assert figure.layout.yaxis.tickprefix == "$"


def test_ranking_puts_the_largest_on_top() -> None:
    rows = [Ranked("gpt-4o", 8, 2_000_000, 0.8), Ranked("llama", 2, 10_000, 0.2)]

    (bars,) = ranking_figure(rows).data

    assert list(bars.y) == ["llama", "gpt-4o"]
    assert list(bars.x) == [2, 8]
    assert list(bars.text) == ["20%", "80%"]
    assert bars.orientation == "h"


def test_every_figure_is_transparent_so_it_sits_on_light_and_dark_cards() -> None:
    for figure in (traffic_figure([point(0, 1)]), spend_figure([]), ranking_figure([])):
        assert figure.layout.paper_bgcolor == "rgba(0,0,0,0)"
        assert figure.layout.plot_bgcolor == "rgba(0,0,0,0)"


def test_small_counts_get_whole_number_ticks() -> None:
    assert count_axis([0, 1, 3])["dtick"] == 1
    assert "dtick" not in count_axis([0, 40])
    assert count_axis([])["dtick"] == 1


def test_money_ticks_show_enough_decimals_for_small_amounts() -> None:
    assert money_axis([12.5])["tickformat"] == ",.2~f"
    assert money_axis([0.5])["tickformat"] == ",.3~f"
    assert money_axis([0.0004])["tickformat"] == ",.5~f"
