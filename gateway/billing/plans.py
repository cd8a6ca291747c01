"""The plans RouterAI sells: the single source of plan limits and features.

The pricing page, the gateway's limits and the Stripe catalogue all read this
table; nothing else hard-codes a plan's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PlanName(StrEnum):
    FREE = "free"
    STARTER = "starter"
    GROWTH = "growth"
    SCALE = "scale"
    ENTERPRISE = "enterprise"


class CacheTier(StrEnum):
    NONE = "none"
    EXACT = "exact"
    SEMANTIC = "semantic"


@dataclass(frozen=True, slots=True)
class Plan:
    """One plan's price, allowances and features. `None` means unlimited."""

    name: PlanName
    title: str
    monthly_price_usd: int
    included_tokens: int | None
    requests_per_minute: int
    tokens_per_minute: int
    max_providers: int | None
    cache: CacheTier
    platform_keys: bool
    custom_routing: bool
    budget_alerts: bool
    full_analytics: bool
    log_retention_days: int
    hard_cap: bool
    overage_usd_per_million: int | None
    sold_by_contact: bool = False

    @property
    def features(self) -> tuple[str, ...]:
        """Human-readable feature list for the pricing table."""
        items = [
            "Unlimited tokens"
            if self.included_tokens is None
            else f"{self.included_tokens:,} tokens / month included",
            f"{self.requests_per_minute:,} requests / minute",
            "All providers"
            if self.max_providers is None
            else f"Up to {self.max_providers} providers",
            {
                CacheTier.NONE: "No caching",
                CacheTier.EXACT: "Exact-match caching",
                CacheTier.SEMANTIC: "Semantic caching",
            }[self.cache],
            f"{self.log_retention_days}-day request logs",
        ]
        if self.platform_keys:
            items.append("Platform provider keys (no keys of your own needed)")
        if self.custom_routing:
            items.append("Custom routing weights")
        if self.budget_alerts:
            items.append("Budget alerts")
        if self.full_analytics:
            items.append("Full analytics")
        return tuple(items)


PLANS: dict[PlanName, Plan] = {
    plan.name: plan
    for plan in (
        Plan(
            PlanName.FREE,
            "Free",
            0,
            100_000,
            20,
            40_000,
            2,
            CacheTier.NONE,
            platform_keys=False,
            custom_routing=False,
            budget_alerts=False,
            full_analytics=False,
            log_retention_days=7,
            hard_cap=True,
            overage_usd_per_million=None,
        ),
        Plan(
            PlanName.STARTER,
            "Starter",
            29,
            1_000_000,
            120,
            200_000,
            None,
            CacheTier.EXACT,
            platform_keys=False,
            custom_routing=False,
            budget_alerts=False,
            full_analytics=False,
            log_retention_days=30,
            hard_cap=False,
            overage_usd_per_million=30,
        ),
        Plan(
            PlanName.GROWTH,
            "Growth",
            99,
            10_000_000,
            600,
            1_000_000,
            None,
            CacheTier.SEMANTIC,
            platform_keys=True,
            custom_routing=False,
            budget_alerts=True,
            full_analytics=True,
            log_retention_days=90,
            hard_cap=False,
            overage_usd_per_million=10,
        ),
        Plan(
            PlanName.SCALE,
            "Scale",
            299,
            100_000_000,
            2400,
            4_000_000,
            None,
            CacheTier.SEMANTIC,
            platform_keys=True,
            custom_routing=True,
            budget_alerts=True,
            full_analytics=True,
            log_retention_days=180,
            hard_cap=False,
            overage_usd_per_million=3,
        ),
        Plan(
            PlanName.ENTERPRISE,
            "Enterprise",
            999,
            None,
            10_000,
            20_000_000,
            None,
            CacheTier.SEMANTIC,
            platform_keys=True,
            custom_routing=True,
            budget_alerts=True,
            full_analytics=True,
            log_retention_days=365,
            hard_cap=False,
            overage_usd_per_million=None,
            sold_by_contact=True,
        ),
    )
}


def get_plan(name: str | PlanName) -> Plan:
    """The plan called `name`; raises ValueError naming the valid plans otherwise."""
    plan = PLANS.get(name)  # type: ignore[arg-type]  # a StrEnum key matches its str
    if plan is None:
        valid = ", ".join(p.value for p in PlanName)
        raise ValueError(f"unknown plan {name!r}; choose one of: {valid}")
    return plan
