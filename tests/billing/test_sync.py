"""`routerai stripe sync` makes Stripe hold the catalogue, and a second run changes nothing."""

from __future__ import annotations

from collections import Counter

import stripe

from gateway.billing.sync import sync_catalog
from tests.billing.fake_stripe import FakeStripe


def test_the_first_sync_creates_meters_products_and_prices(
    fake_stripe: FakeStripe, stripe_sdk: stripe.StripeClient
) -> None:
    changes = sync_catalog(stripe_sdk)

    assert Counter((c.kind, c.action) for c in changes) == {
        ("meter", "created"): 2,
        ("product", "created"): 5,
        ("price", "created"): 8,
    }
    meters = {m["event_name"]: m for m in fake_stripe.state.meters.values()}
    assert set(meters) == {"llm_tokens_used", "llm_provider_cost"}
    assert meters["llm_tokens_used"]["default_aggregation"] == {"formula": "sum"}
    prices = fake_stripe.prices_by_key()
    growth_fee = prices["routerai_growth_monthly"]
    assert (growth_fee["unit_amount"], growth_fee["recurring"]["usage_type"]) == (9900, "licensed")
    growth_tokens = prices["routerai_growth_tokens"]
    assert growth_tokens["recurring"]["meter"] == meters["llm_tokens_used"]["id"]
    assert [(t["up_to"], t["unit_amount_decimal"]) for t in growth_tokens["_tiers"]] == [
        (10_000_000, "0"),
        (None, "0.001"),
    ]
    provider = prices["routerai_provider_cost"]
    assert provider["recurring"]["meter"] == meters["llm_provider_cost"]["id"]
    assert provider["unit_amount_decimal"] == "0.0001"
    assert growth_tokens["metadata"] == {"routerai_plan": "growth", "routerai_price": "tokens"}


def test_a_second_sync_changes_nothing_and_creates_nothing(
    fake_stripe: FakeStripe, stripe_sdk: stripe.StripeClient
) -> None:
    sync_catalog(stripe_sdk)
    objects = sorted(fake_stripe.objects())
    writes = len([r for r in fake_stripe.controls.requests if r.method == "POST"])

    changes = sync_catalog(stripe_sdk)

    assert {change.action for change in changes} == {"unchanged"}
    assert sorted(fake_stripe.objects()) == objects
    assert len([r for r in fake_stripe.controls.requests if r.method == "POST"]) == writes


def test_a_price_that_drifted_is_replaced_and_the_old_one_archived(
    fake_stripe: FakeStripe, stripe_sdk: stripe.StripeClient
) -> None:
    sync_catalog(stripe_sdk)
    old = fake_stripe.prices_by_key()["routerai_scale_monthly"]
    # Someone re-priced Scale by hand in the dashboard, moving the lookup key.
    stripe_sdk.v1.prices.create(
        {
            "currency": "usd",
            "product": "routerai_scale",
            "unit_amount": 24900,
            "recurring": {"interval": "month"},
            "lookup_key": "routerai_scale_monthly",
            "transfer_lookup_key": True,
        }
    )

    changes = {c.key: c for c in sync_catalog(stripe_sdk)}

    assert changes["routerai_scale_monthly"].action == "replaced"
    current = fake_stripe.prices_by_key()["routerai_scale_monthly"]
    assert current["unit_amount"] == 29900 and current["active"]
    assert old["lookup_key"] is None
    assert [c.action for c in changes.values() if c.key != "routerai_scale_monthly"] == [
        "unchanged"
    ] * (len(changes) - 1)


def test_sync_repairs_a_deactivated_meter_and_a_renamed_product(
    fake_stripe: FakeStripe, stripe_sdk: stripe.StripeClient
) -> None:
    sync_catalog(stripe_sdk)
    meter = next(
        m for m in fake_stripe.state.meters.values() if m["event_name"] == "llm_tokens_used"
    )
    stripe_sdk.v1.billing.meters.deactivate(meter["id"])
    stripe_sdk.v1.products.update("routerai_growth", {"name": "Growth (old name)"})

    changes = {c.key: c.action for c in sync_catalog(stripe_sdk)}

    assert changes["llm_tokens_used"] == "reactivated"
    assert changes["routerai_growth"] == "updated"
    assert meter["status"] == "active"
    assert fake_stripe.state.products["routerai_growth"]["name"] == "RouterAI Growth"
