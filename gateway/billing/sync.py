"""`routerai stripe sync`: make Stripe hold the catalogue's meters, products and prices.

Idempotent: meters are found by event name, products by their fixed ids, prices by
lookup key; only what is missing or different is touched, and a second run changes
nothing. Stripe prices are immutable, so a price whose amount, tiers or meter
differ from the catalogue is replaced: the new price takes over the lookup key
(`transfer_lookup_key`) and the old one is archived. Existing subscriptions keep
the price they have until they are changed; their plan still reads from metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from stripe.params import PriceCreateParams
from stripe.params.billing import MeterCreateParams

from gateway.billing.catalog import (
    CURRENCY,
    CUSTOMER_PAYLOAD_KEY,
    KIND_METADATA_KEY,
    METERS,
    PLAN_METADATA_KEY,
    PRICES,
    PRODUCTS,
    VALUE_PAYLOAD_KEY,
    MeterSpec,
    PriceSpec,
    ProductSpec,
)

LOOKUP_KEYS_PER_LIST = 10  # Stripe's limit for `lookup_keys` on one list request


@dataclass(frozen=True, slots=True)
class Change:
    """What sync did to one object: created, updated, replaced, reactivated or unchanged."""

    kind: str
    key: str
    action: str
    stripe_id: str

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def __str__(self) -> str:
        return f"{self.action:<11} {self.kind:<7} {self.key} ({self.stripe_id})"


def sync_catalog(client: stripe.StripeClient) -> list[Change]:
    """Create or update every meter, product and price the plans need; returns each outcome."""
    changes = [_sync_meter(client, spec, existing) for spec, existing in _meters(client)]
    meter_ids = {change.key: change.stripe_id for change in changes}
    changes += [_sync_product(client, spec) for spec in PRODUCTS]
    existing_prices = _prices_by_lookup_key(client, [p.lookup_key for p in PRICES])
    changes += [
        _sync_price(client, spec, existing_prices.get(spec.lookup_key), meter_ids)
        for spec in PRICES
    ]
    return changes


# -- meters -------------------------------------------------------------------------------


def _meters(client: stripe.StripeClient) -> list[tuple[MeterSpec, dict[str, Any] | None]]:
    found: dict[str, dict[str, Any]] = {}
    for meter in client.v1.billing.meters.list({"limit": 100}).auto_paging_iter():
        data = meter.to_dict()
        # An active meter wins over an inactive one with the same event name.
        if data["event_name"] not in found or data.get("status") == "active":
            found[data["event_name"]] = data
    return [(spec, found.get(spec.event_name)) for spec in METERS]


def _sync_meter(
    client: stripe.StripeClient, spec: MeterSpec, existing: dict[str, Any] | None
) -> Change:
    meters = client.v1.billing.meters
    if existing is None:
        params: MeterCreateParams = {
            "display_name": spec.display_name,
            "event_name": spec.event_name,
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"type": "by_id", "event_payload_key": CUSTOMER_PAYLOAD_KEY},
            "value_settings": {"event_payload_key": VALUE_PAYLOAD_KEY},
        }
        created = meters.create(params)
        return Change("meter", spec.event_name, "created", created.id)
    meter_id = existing["id"]
    action = "unchanged"
    if existing.get("status") != "active":
        meters.reactivate(meter_id)
        action = "reactivated"
    if existing.get("display_name") != spec.display_name:
        meters.update(meter_id, {"display_name": spec.display_name})
        action = "updated" if action == "unchanged" else action
    return Change("meter", spec.event_name, action, meter_id)


# -- products -----------------------------------------------------------------------------


def _sync_product(client: stripe.StripeClient, spec: ProductSpec) -> Change:
    products = client.v1.products
    wanted = {
        "name": spec.name,
        "description": spec.description,
        "metadata": {PLAN_METADATA_KEY: spec.plan.value} if spec.plan else {},
    }
    try:
        current = products.retrieve(spec.id).to_dict()
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise
        products.create({"id": spec.id, **wanted})  # type: ignore[typeddict-item]
        return Change("product", spec.id, "created", spec.id)
    stale = {
        key: value
        for key, value in {**wanted, "active": True}.items()
        if not _contains(current.get(key), value)
    }
    if not stale:
        return Change("product", spec.id, "unchanged", spec.id)
    products.update(spec.id, stale)  # type: ignore[arg-type]
    return Change("product", spec.id, "updated", spec.id)


def _contains(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping) and isinstance(current, Mapping):
        return all(current.get(k) == v for k, v in wanted.items())
    return bool(current == wanted)


# -- prices -------------------------------------------------------------------------------


def _prices_by_lookup_key(
    client: stripe.StripeClient, lookup_keys: list[str]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(lookup_keys), LOOKUP_KEYS_PER_LIST):
        chunk = lookup_keys[start : start + LOOKUP_KEYS_PER_LIST]
        page = client.v1.prices.list(
            {"lookup_keys": chunk, "active": True, "expand": ["data.tiers"], "limit": 100}
        )
        for price in page.auto_paging_iter():
            data = price.to_dict()
            found[data["lookup_key"]] = data
    return found


def price_params(spec: PriceSpec, meter_ids: Mapping[str, str]) -> PriceCreateParams:
    """The create parameters of `spec`'s price (the meter named by its Stripe id)."""
    params: PriceCreateParams = {
        "currency": CURRENCY,
        "product": spec.product_id,
        "lookup_key": spec.lookup_key,
        "nickname": spec.nickname,
        "metadata": _price_metadata(spec),
        "recurring": {"interval": "month", "usage_type": "licensed"},
    }
    if spec.meter is not None:
        params["recurring"] = {
            "interval": "month",
            "usage_type": "metered",
            "meter": meter_ids[spec.meter],
        }
    if spec.tiers:
        params["billing_scheme"] = "tiered"
        params["tiers_mode"] = "graduated"
        params["tiers"] = [
            {
                "up_to": "inf" if t.up_to is None else t.up_to,
                "unit_amount_decimal": t.cents_per_unit,
            }
            for t in spec.tiers
        ]
    elif spec.unit_cents is not None and spec.unit_cents == spec.unit_cents.to_integral_value():
        params["unit_amount"] = int(spec.unit_cents)
    else:
        params["unit_amount_decimal"] = spec.unit_cents  # type: ignore[typeddict-item]
    return params


def _price_metadata(spec: PriceSpec) -> dict[str, str]:
    # No empty values: Stripe reads an empty metadata value as "delete this key".
    plan = {PLAN_METADATA_KEY: spec.plan.value} if spec.plan else {}
    return {**plan, KIND_METADATA_KEY: spec.kind.value}


def _sync_price(
    client: stripe.StripeClient,
    spec: PriceSpec,
    existing: dict[str, Any] | None,
    meter_ids: Mapping[str, str],
) -> Change:
    prices = client.v1.prices
    if existing is not None and _same_terms(spec, existing, meter_ids):
        editable = {"nickname": spec.nickname, "metadata": _price_metadata(spec)}
        if all(_contains(existing.get(k), v) for k, v in editable.items()):
            return Change("price", spec.lookup_key, "unchanged", existing["id"])
        prices.update(existing["id"], editable)  # type: ignore[arg-type]
        return Change("price", spec.lookup_key, "updated", existing["id"])
    params = price_params(spec, meter_ids)
    if existing is None:
        return Change("price", spec.lookup_key, "created", prices.create(params).id)
    created = prices.create({**params, "transfer_lookup_key": True})
    prices.update(existing["id"], {"active": False})
    return Change("price", spec.lookup_key, "replaced", created.id)


def _same_terms(spec: PriceSpec, price: Mapping[str, Any], meter_ids: Mapping[str, str]) -> bool:
    """Whether the immutable terms of `price` (amounts, tiers, meter, product) match `spec`."""
    recurring = price.get("recurring") or {}
    usage_type = "metered" if spec.meter else "licensed"
    meter = meter_ids[spec.meter] if spec.meter else None
    if (
        price.get("product") != spec.product_id
        or price.get("currency") != CURRENCY
        or recurring.get("interval") != "month"
        or recurring.get("usage_type") != usage_type
        or recurring.get("meter") != meter
    ):
        return False
    if spec.tiers:
        return price.get("tiers_mode") == "graduated" and _tiers(price.get("tiers")) == [
            (t.up_to, t.cents_per_unit) for t in spec.tiers
        ]
    return price.get("billing_scheme") == "per_unit" and _decimal(
        price.get("unit_amount_decimal")
    ) == (spec.unit_cents)


def _tiers(tiers: Iterable[Mapping[str, Any]] | None) -> list[tuple[int | None, Decimal | None]]:
    return [(t.get("up_to"), _decimal(t.get("unit_amount_decimal"))) for t in tiers or []]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
