"""Pure builders from overview rows to plotly figures: rows in, `go.Figure` out.

No I/O and no clock. The figures have transparent backgrounds and neutral grid lines so
they sit on a card in light and dark mode alike; the web app supplies the template's
text colours for the current mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import plotly.graph_objects as go

from gateway.analytics.queries import DailyPoint
from gateway.dashboard.cache import HitRateDay
from gateway.dashboard.overview import Ranked
from gateway.dashboard.usage import UsageRow

ACCENT = "#3e63dd"
CYAN = "#00a2c7"
RED = "#e5484d"
GRAY = "#8b8d98"
GRID = "rgba(139, 141, 152, 0.18)"
HEIGHT = 280
MICRO = 1_000_000


def base_layout(height: int = HEIGHT) -> dict[str, object]:
    """The layout every dashboard figure shares."""
    return {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "hovermode": "x unified",
        "xaxis": {"showgrid": False, "automargin": True, "fixedrange": True},
        "yaxis": {
            "gridcolor": GRID,
            "zeroline": False,
            "automargin": True,
            "fixedrange": True,
            "rangemode": "tozero",
        },
    }


def count_axis(values: Sequence[int]) -> dict[str, object]:
    """A count axis: whole numbers only, one tick per unit while counts are small."""
    axis: dict[str, object] = {"tickformat": ",d", "rangemode": "tozero"}
    if max(values, default=0) <= 5:
        axis["dtick"] = 1
    return axis


def money_axis(values: Sequence[float]) -> dict[str, object]:
    """A dollar axis with enough decimals for the largest amount shown."""
    largest = max(values, default=0.0)
    decimals = 2 if largest >= 1 else 3 if largest >= 0.01 else 5
    return {"tickprefix": "$", "tickformat": f",.{decimals}~f", "rangemode": "tozero"}


def _days_axis(days: Sequence[date]) -> dict[str, object]:
    axis: dict[str, object] = {"type": "date", "tickformat": "%b %d"}
    if len(days) <= 14:
        axis["dtick"] = 86_400_000  # one tick per day
    return axis


def traffic_figure(points: Sequence[DailyPoint]) -> go.Figure:
    """Requests per day, stacked: answered by a provider, from the cache, failed."""
    days = [p.day for p in points]
    answered = [max(0, p.requests - p.cache_hits - p.errors) for p in points]
    series = (
        ("Answered", answered, ACCENT),
        ("From cache", [p.cache_hits for p in points], CYAN),
        ("Errors", [p.errors for p in points], RED),
    )
    figure = go.Figure(
        [
            go.Bar(x=days, y=values, name=name, marker_color=color, hovertemplate="%{y:,}")
            for name, values, color in series
        ]
    )
    figure.update_layout(base_layout(), barmode="stack", bargap=0.35, legend_traceorder="normal")
    figure.update_xaxes(_days_axis(days))
    figure.update_yaxes(count_axis([p.requests for p in points]))
    return figure


def spend_figure(points: Sequence[DailyPoint]) -> go.Figure:
    """Cost per day against the baseline model's cost; the shaded gap is money saved."""
    days = [p.day for p in points]
    baseline = go.Scatter(
        x=days,
        y=[p.baseline_cost / MICRO for p in points],
        name="Without RouterAI",
        mode="lines+markers",
        line={"color": GRAY, "dash": "dot", "width": 2},
        hovertemplate="$%{y:,.4f}",
    )
    cost = go.Scatter(
        x=days,
        y=[p.cost / MICRO for p in points],
        name="Your cost",
        mode="lines+markers",
        line={"color": ACCENT, "width": 2.5},
        fill="tonexty",
        fillcolor="rgba(48, 164, 108, 0.18)",
        hovertemplate="$%{y:,.4f}",
    )
    figure = go.Figure([baseline, cost])
    figure.update_layout(base_layout(), legend_traceorder="normal")
    figure.update_xaxes(_days_axis(days))
    figure.update_yaxes(money_axis([max(p.baseline_cost, p.cost) / MICRO for p in points]))
    return figure


def ranking_figure(rows: Sequence[Ranked], *, color: str = ACCENT) -> go.Figure:
    """Horizontal bars of requests for the top providers or models, largest on top."""
    ordered = list(reversed(rows))
    figure = go.Figure(
        go.Bar(
            x=[row.requests for row in ordered],
            y=[row.name for row in ordered],
            orientation="h",
            marker_color=color,
            customdata=[[row.cost / MICRO, row.share * 100] for row in ordered],
            hovertemplate="%{x:,} requests · $%{customdata[0]:,.4f} · %{customdata[1]:.0f}%"
            "<extra></extra>",
            text=[f"{row.share:.0%}" for row in ordered],
            textposition="auto",
        )
    )
    layout = base_layout(height=max(160, 44 * len(rows) + 40))
    layout.update(showlegend=False, hovermode="closest", bargap=0.3)
    figure.update_layout(layout)
    figure.update_xaxes(count_axis([row.requests for row in rows]), gridcolor=GRID)
    figure.update_yaxes(showgrid=False)
    return figure


GREEN = "#30a46c"


def usage_breakdown_figure(rows: Sequence[UsageRow], *, limit: int = 10) -> go.Figure:
    """Horizontal bars per provider or model: its cost, and the money it saved, largest on top.

    Rows come in the table's order (largest cost first); past `limit` they are left out of
    the chart (the table still lists them).
    """
    ordered = list(reversed(rows[:limit]))
    names = [row.label for row in ordered]
    series = (
        ("Cost", [row.cost / MICRO for row in ordered], ACCENT),
        ("Saved", [row.saved / MICRO for row in ordered], GREEN),
    )
    figure = go.Figure(
        [
            go.Bar(
                x=values,
                y=names,
                name=name,
                orientation="h",
                marker_color=color,
                hovertemplate="$%{x:,.4f}<extra>%{fullData.name}</extra>",
            )
            for name, values, color in series
        ]
    )
    layout = base_layout(height=max(180, 56 * len(ordered) + 60))
    layout.update(barmode="group", hovermode="closest", bargap=0.25, legend_traceorder="normal")
    figure.update_layout(layout)
    figure.update_xaxes(
        money_axis([max(row.cost, row.saved) / MICRO for row in ordered]), gridcolor=GRID
    )
    figure.update_yaxes(showgrid=False, automargin=True)
    return figure


def hit_rate_figure(days: Sequence[HitRateDay]) -> go.Figure:
    """The cache's hit rate per day (a line, gaps on days without lookups) over its hits."""
    x = [d.day for d in days]
    hits = go.Bar(
        x=x,
        y=[d.hits for d in days],
        name="Hits",
        marker_color=CYAN,
        opacity=0.35,
        yaxis="y2",
        hovertemplate="%{y:,} hits",
    )
    rate = go.Scatter(
        x=x,
        y=[None if d.rate is None else d.rate * 100 for d in days],
        name="Hit rate",
        mode="lines+markers",
        line={"color": ACCENT, "width": 2.5},
        connectgaps=False,
        hovertemplate="%{y:.1f}%",
    )
    figure = go.Figure([hits, rate])
    layout = base_layout()
    layout["yaxis"] = {
        **layout["yaxis"],  # type: ignore[dict-item]
        "range": [0, 100],
        "ticksuffix": "%",
        "rangemode": "normal",
    }
    layout["yaxis2"] = {
        **count_axis([d.hits for d in days]),
        "overlaying": "y",
        "side": "right",
        "showgrid": False,
        "fixedrange": True,
        "automargin": True,
    }
    figure.update_layout(layout, legend_traceorder="normal", bargap=0.35)
    figure.update_xaxes(_days_axis(x))
    return figure


def cache_tiers_figure(exact: int, semantic: int) -> go.Figure:
    """Hits by tier: exact matches against paraphrases (semantic), as two bars."""
    names = ["Semantic", "Exact"]
    values = [semantic, exact]
    total = exact + semantic
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=[GREEN, CYAN],
            text=[f"{v / total:.0%}" if total else "" for v in values],
            textposition="auto",
            hovertemplate="%{x:,} hits<extra>%{y}</extra>",
        )
    )
    layout = base_layout(height=150)
    layout.update(showlegend=False, hovermode="closest", bargap=0.3)
    figure.update_layout(layout)
    figure.update_xaxes(count_axis(values), gridcolor=GRID)
    figure.update_yaxes(showgrid=False)
    return figure
