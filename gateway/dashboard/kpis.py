"""The overview's headline figures as display strings. Pure.

Money arrives in integer micro-USD and leaves as dollars with as many decimals as a
small amount needs ($0.0042, $12.30, $1,204); counts are compacted (12.4K, 3.1M).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.dashboard.overview import Overview

MICRO = 1_000_000


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str
    value: str
    detail: str
    icon: str


def usd(micro: int) -> str:
    """Dollars for an amount in micro-USD, precise enough for small amounts."""
    dollars = micro / MICRO
    sign = "-" if dollars < 0 else ""
    dollars = abs(dollars)
    if dollars == 0:
        return "$0.00"
    if dollars < 0.01:
        return f"{sign}${dollars:.4f}"
    if dollars < 1000:
        return f"{sign}${dollars:,.2f}"
    return f"{sign}${dollars:,.0f}"


def compact(count: int) -> str:
    """12 → "12", 12_400 → "12.4K", 3_100_000 → "3.1M"."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if abs(count) >= size:
            return f"{count / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{count:,}"


def percent(rate: float | None) -> str:
    """A rate as a percentage ("12.5%"), or an em dash when there is none yet."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}%".replace(".0%", "%")


def milliseconds(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value} ms"


def kpis(overview: Overview) -> list[Kpi]:
    """The headline cards, in display order."""
    totals = overview.totals
    saved_share = (
        f"{overview.saved / totals.baseline_cost:.0%} less than without routing"
        if totals.baseline_cost > 0
        else "vs. your baseline model"
    )
    return [
        Kpi(
            "requests",
            "Requests",
            compact(totals.requests),
            f"{totals.requests:,} in range",
            "activity",
        ),
        Kpi(
            "tokens",
            "Tokens",
            compact(totals.total_tokens),
            f"{compact(totals.prompt_tokens)} in · {compact(totals.completion_tokens)} out",
            "text",
        ),
        Kpi("cost", "Cost", usd(totals.cost), "billed by providers", "wallet"),
        Kpi("saved", "Money saved", usd(overview.saved), saved_share, "piggy-bank"),
        Kpi(
            "cache",
            "Cache hit rate",
            percent(overview.cache_hit_rate),
            f"{totals.cache_hits:,} answered from cache",
            "database-zap",
        ),
        Kpi(
            "latency",
            "Latency p50",
            milliseconds(overview.p50_ms),
            f"p95 {milliseconds(overview.p95_ms)}",
            "timer",
        ),
        Kpi(
            "errors",
            "Error rate",
            percent(overview.error_rate),
            f"{totals.errors:,} failed requests",
            "triangle-alert",
        ),
        Kpi(
            "models",
            "Models used",
            str(len(totals.by_model)),
            f"across {len(totals.by_provider)} providers",
            "boxes",
        ),
    ]
