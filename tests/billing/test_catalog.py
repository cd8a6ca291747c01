"""The Stripe catalogue derives from the plans table and restates none of its numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.billing.catalog import (
    PRICES_BY_KEY,
    PRODUCTS,
    PROVIDER_COST_LOOKUP_KEY,
    Meter,
    PriceKind,
    cents_per_token,
    is_self_serve,
    kind_of_price,
    plan_of_price,
    subscription_lookup_keys,
)
from gateway.billing.plans import PLANS, PlanName


def test_every_paid_plan_has_a_product_and_a_flat_monthly_price() -> None:
    products = {product.id for product in PRODUCTS}
    for plan in PLANS.values():
        if plan.monthly_price_usd == 0:
            continue
        assert f"routerai_{plan.name}" in products
        flat = PRICES_BY_KEY[f"routerai_{plan.name}_monthly"]
        assert flat.unit_cents == plan.monthly_price_usd * 100
        assert flat.meter is None and flat.plan is plan.name
    assert "routerai_free" not in products


@pytest.mark.parametrize(
    ("plan", "included", "cents"),
    [
        (PlanName.STARTER, 1_000_000, Decimal("0.003")),
        (PlanName.GROWTH, 10_000_000, Decimal("0.001")),
        (PlanName.SCALE, 100_000_000, Decimal("0.0003")),
    ],
)
def test_token_prices_are_graduated_with_the_included_tokens_free(
    plan: PlanName, included: int, cents: Decimal
) -> None:
    price = PRICES_BY_KEY[f"routerai_{plan}_tokens"]
    assert price.meter is Meter.TOKENS
    assert [(t.up_to, t.cents_per_unit) for t in price.tiers] == [(included, 0), (None, cents)]
    # A million tokens beyond the allowance cost the plan's overage rate in dollars.
    assert cents * 1_000_000 / 100 == PLANS[plan].overage_usd_per_million


def test_unlimited_enterprise_has_no_token_price_and_is_not_self_serve() -> None:
    assert "routerai_enterprise_tokens" not in PRICES_BY_KEY
    assert not is_self_serve(PLANS[PlanName.ENTERPRISE])
    assert not is_self_serve(PLANS[PlanName.FREE])
    assert is_self_serve(PLANS[PlanName.GROWTH])


def test_every_subscription_carries_the_provider_cost_price_at_cost() -> None:
    for plan in (PlanName.STARTER, PlanName.GROWTH, PlanName.SCALE, PlanName.ENTERPRISE):
        assert subscription_lookup_keys(plan)[-1] == PROVIDER_COST_LOOKUP_KEY
    provider = PRICES_BY_KEY[PROVIDER_COST_LOOKUP_KEY]
    assert provider.meter is Meter.PROVIDER_COST
    # One dollar of provider cost (1,000,000 micro-USD) is billed as exactly one dollar.
    assert provider.unit_cents is not None and provider.unit_cents * 1_000_000 == 100
    assert subscription_lookup_keys(PlanName.GROWTH) == (
        "routerai_growth_monthly",
        "routerai_growth_tokens",
        PROVIDER_COST_LOOKUP_KEY,
    )


def test_a_price_names_its_plan_by_metadata_even_after_its_lookup_key_moved() -> None:
    assert plan_of_price("routerai_scale_monthly", {}) is PlanName.SCALE
    metadata = {"routerai_plan": "growth", "routerai_price": "flat"}
    assert plan_of_price(None, metadata) is PlanName.GROWTH
    assert plan_of_price("routerai_growth_tokens", {}) is None  # metered, not the plan's fee
    assert plan_of_price("someone_elses_price", {}) is None
    assert kind_of_price(None, {"routerai_price": "provider_cost"}) is PriceKind.PROVIDER_COST
    assert kind_of_price("routerai_starter_tokens", {}) is PriceKind.TOKENS


def test_cents_per_token_is_exact() -> None:
    assert cents_per_token(30) == Decimal("0.003")
    assert cents_per_token(1) == Decimal("0.0001")
