"""The plans table is the one source of plan limits."""

from __future__ import annotations

import pytest

from gateway.billing.plans import PLANS, CacheTier, PlanName, get_plan


def test_the_plans_and_prices_of_the_design() -> None:
    prices = {name.value: plan.monthly_price_usd for name, plan in PLANS.items()}
    assert prices == {"free": 0, "starter": 29, "growth": 99, "scale": 299, "enterprise": 999}
    assert [PLANS[n].included_tokens for n in PlanName] == [
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        None,
    ]
    assert [PLANS[n].requests_per_minute for n in PlanName][1:4] == [120, 600, 2400]


def test_features_gate_by_plan() -> None:
    assert PLANS[PlanName.FREE].hard_cap and PLANS[PlanName.FREE].max_providers == 2
    assert PLANS[PlanName.STARTER].cache is CacheTier.EXACT
    assert PLANS[PlanName.GROWTH].cache is CacheTier.SEMANTIC
    assert [PLANS[n].platform_keys for n in PlanName] == [False, False, True, True, True]
    assert PLANS[PlanName.ENTERPRISE].sold_by_contact


def test_unknown_plans_are_refused_with_the_valid_names() -> None:
    assert get_plan("growth").title == "Growth"
    with pytest.raises(ValueError, match="free, starter, growth, scale, enterprise"):
        get_plan("platinum")
