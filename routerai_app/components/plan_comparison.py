"""The pricing page's comparison table: one row per allowance, one column per plan.

Every cell is read from `gateway.billing.plans.PLANS`; this module only words them.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from gateway.billing.plans import PLANS, CacheTier, Plan

CACHE_LABELS = {CacheTier.NONE: "—", CacheTier.EXACT: "Exact", CacheTier.SEMANTIC: "Semantic"}


def _yes(value: bool) -> str:
    return "✓" if value else "—"


def _overage(plan: Plan) -> str:
    if plan.hard_cap:
        return "Hard cap"
    if plan.overage_usd_per_million is None:
        return "Custom"
    return f"${plan.overage_usd_per_million} / 1M"


ROWS: tuple[tuple[str, Callable[[Plan], str]], ...] = (
    ("Monthly price", lambda p: "Contact us" if p.sold_by_contact else f"${p.monthly_price_usd:,}"),
    (
        "Tokens included / month",
        lambda p: "Unlimited" if p.included_tokens is None else f"{p.included_tokens:,}",
    ),
    ("Beyond the included tokens", _overage),
    ("Requests / minute", lambda p: f"{p.requests_per_minute:,}"),
    ("Tokens / minute", lambda p: f"{p.tokens_per_minute:,}"),
    ("Providers", lambda p: "All" if p.max_providers is None else f"Up to {p.max_providers}"),
    ("Caching", lambda p: CACHE_LABELS[p.cache]),
    ("Platform provider keys", lambda p: _yes(p.platform_keys)),
    ("Custom routing weights", lambda p: _yes(p.custom_routing)),
    ("Budget alerts", lambda p: _yes(p.budget_alerts)),
    ("Full analytics", lambda p: _yes(p.full_analytics)),
    ("Request log retention", lambda p: f"{p.log_retention_days} days"),
)


def comparison_table() -> rx.Component:
    plans = list(PLANS.values())
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(""),
                    *(rx.table.column_header_cell(plan.title) for plan in plans),
                )
            ),
            rx.table.body(
                *(
                    rx.table.row(
                        rx.table.row_header_cell(rx.text(label, weight="medium", size="2")),
                        *(rx.table.cell(describe(plan)) for plan in plans),
                    )
                    for label, describe in ROWS
                )
            ),
            variant="surface",
            size="2",
            min_width="46rem",
        ),
        overflow_x="auto",
        width="100%",
        id="plan-comparison",
    )
