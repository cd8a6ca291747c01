"""Products, prices, meters and meter events, with the validation Stripe applies to them."""

from __future__ import annotations

from decimal import Decimal

from tests.billing.fake_stripe.state import (
    Obj,
    State,
    invalid,
    metadata,
    missing,
    page,
    require,
    to_bool,
    to_decimal,
    to_int,
)

EVENT_WINDOW_PAST_S = 35 * 24 * 3600
EVENT_WINDOW_FUTURE_S = 5 * 60


class Catalog:
    def __init__(self, state: State) -> None:
        self.state = state

    # -- products -------------------------------------------------------------------------

    def create_product(self, params: Obj) -> Obj:
        product_id = params.get("id") or self.state.new_id("prod")
        if product_id in self.state.products:
            raise invalid(f"Product already exists: {product_id}", "id", "resource_already_exists")
        product = {
            "id": product_id,
            "object": "product",
            "active": to_bool(params.get("active", "true")),
            "created": self.state.now(),
            "description": params.get("description"),
            "livemode": False,
            "metadata": metadata(params),
            "name": require(params, "name"),
        }
        self.state.products[product_id] = product
        return product

    def retrieve_product(self, product_id: str) -> Obj:
        if product_id not in self.state.products:
            raise missing("product", product_id)
        return self.state.products[product_id]

    def update_product(self, product_id: str, params: Obj) -> Obj:
        product = self.retrieve_product(product_id)
        for key in ("name", "description"):
            if key in params:
                product[key] = params[key]
        if "active" in params:
            product["active"] = to_bool(params["active"])
        product["metadata"] = metadata(params, product["metadata"])
        return product

    # -- prices ---------------------------------------------------------------------------

    def create_price(self, params: Obj) -> Obj:
        product = self.retrieve_product(require(params, "product"))
        recurring = self._recurring(params.get("recurring"))
        price: Obj = {
            "id": self.state.new_id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": params.get("billing_scheme", "per_unit"),
            "created": self.state.now(),
            "currency": require(params, "currency"),
            "livemode": False,
            "lookup_key": None,
            "metadata": metadata(params),
            "nickname": params.get("nickname"),
            "product": product["id"],
            "recurring": recurring,
            "tax_behavior": "unspecified",
            "tiers_mode": params.get("tiers_mode"),
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": None,
            "unit_amount_decimal": None,
            "_tiers": None,
        }
        self._amounts(price, params)
        if params.get("lookup_key"):
            self._take_lookup_key(
                price, params["lookup_key"], to_bool(params.get("transfer_lookup_key"))
            )
        self.state.prices[price["id"]] = price
        return price

    def _recurring(self, recurring: Obj | None) -> Obj | None:
        if recurring is None:
            return None
        usage_type = recurring.get("usage_type", "licensed")
        meter = recurring.get("meter")
        if usage_type == "metered":
            if not meter:
                raise invalid("Metered prices must specify a meter.", "recurring[meter]")
            if self.state.meters.get(meter, {}).get("status") != "active":
                raise invalid(f"No such active meter: '{meter}'", "recurring[meter]")
        elif meter:
            raise invalid("Only metered prices can have a meter.", "recurring[meter]")
        return {
            "interval": require(recurring, "interval"),
            "interval_count": to_int(
                recurring.get("interval_count", 1), "recurring[interval_count]"
            ),
            "meter": meter,
            "trial_period_days": None,
            "usage_type": usage_type,
        }

    def _amounts(self, price: Obj, params: Obj) -> None:
        if price["billing_scheme"] == "tiered":
            if "unit_amount" in params or "unit_amount_decimal" in params:
                raise invalid("Tiered prices cannot have a unit amount.", "unit_amount")
            if price["tiers_mode"] not in ("graduated", "volume"):
                raise invalid("Tiered prices need tiers_mode.", "tiers_mode")
            price["_tiers"] = self._tiers(params.get("tiers") or [])
            return
        if ("unit_amount" in params) == ("unit_amount_decimal" in params):
            raise invalid("Pass exactly one of unit_amount and unit_amount_decimal.", "unit_amount")
        if "unit_amount" in params:
            amount = Decimal(to_int(params["unit_amount"], "unit_amount"))
        else:
            amount = to_decimal(params["unit_amount_decimal"], "unit_amount_decimal")
        price["unit_amount"] = int(amount) if amount == amount.to_integral_value() else None
        price["unit_amount_decimal"] = str(amount)

    def _tiers(self, tiers: list[Obj]) -> list[Obj]:
        if len(tiers) < 2 or tiers[-1].get("up_to") != "inf":
            raise invalid("Tiers need at least two entries, the last up to `inf`.", "tiers")
        parsed = []
        for index, tier in enumerate(tiers):
            up_to = tier.get("up_to")
            amount = to_decimal(
                tier.get("unit_amount_decimal", tier.get("unit_amount", "0")), f"tiers[{index}]"
            )
            parsed.append(
                {
                    "flat_amount": None,
                    "flat_amount_decimal": None,
                    "unit_amount": int(amount) if amount == amount.to_integral_value() else None,
                    "unit_amount_decimal": str(amount),
                    "up_to": None if up_to == "inf" else to_int(up_to, f"tiers[{index}][up_to]"),
                }
            )
        return parsed

    def _take_lookup_key(self, price: Obj, key: str, transfer: bool) -> None:
        for other in self.state.prices.values():
            if other["lookup_key"] == key and other["id"] != price["id"]:
                if not transfer:
                    raise invalid(
                        f"A price (`{other['id']}`) already uses that lookup key.", "lookup_key"
                    )
                other["lookup_key"] = None
        price["lookup_key"] = key

    def list_prices(self, query: Obj) -> Obj:
        prices = list(self.state.prices.values())
        if "lookup_keys" in query:
            keys = set(query["lookup_keys"])
            if len(keys) > 10:
                raise invalid("You can pass at most 10 lookup_keys.", "lookup_keys")
            prices = [p for p in prices if p["lookup_key"] in keys]
        if "active" in query:
            prices = [p for p in prices if p["active"] == to_bool(query["active"])]
        if "product" in query:
            prices = [p for p in prices if p["product"] == query["product"]]
        expand_tiers = "data.tiers" in (query.get("expand") or [])
        listed = page(prices, query, "/v1/prices")
        listed["data"] = [self.price_json(p, tiers=expand_tiers) for p in listed["data"]]
        return listed

    def retrieve_price(self, price_id: str) -> Obj:
        if price_id not in self.state.prices:
            raise missing("price", price_id)
        return self.state.prices[price_id]

    def update_price(self, price_id: str, params: Obj) -> Obj:
        price = self.retrieve_price(price_id)
        if "active" in params:
            price["active"] = to_bool(params["active"])
        if "nickname" in params:
            price["nickname"] = params["nickname"]
        if "lookup_key" in params:
            self._take_lookup_key(
                price, params["lookup_key"], to_bool(params.get("transfer_lookup_key"))
            )
        price["metadata"] = metadata(params, price["metadata"])
        return self.price_json(price)

    @staticmethod
    def price_json(price: Obj, *, tiers: bool = False) -> Obj:
        """A price as the API shows it: `tiers` only when expanded, as in Stripe."""
        shown = {k: v for k, v in price.items() if not k.startswith("_")}
        if tiers and price["_tiers"] is not None:
            shown["tiers"] = price["_tiers"]
        return shown

    # -- meters ---------------------------------------------------------------------------

    def create_meter(self, params: Obj) -> Obj:
        event_name = require(params, "event_name")
        if any(
            m["event_name"] == event_name and m["status"] == "active"
            for m in self.state.meters.values()
        ):
            raise invalid(
                f"An active meter with event_name `{event_name}` already exists.", "event_name"
            )
        mapping = params.get("customer_mapping") or {
            "type": "by_id",
            "event_payload_key": "stripe_customer_id",
        }
        value = params.get("value_settings") or {"event_payload_key": "value"}
        meter = {
            "id": self.state.new_id("mtr"),
            "object": "billing.meter",
            "created": self.state.now(),
            "customer_mapping": mapping,
            "default_aggregation": require(params, "default_aggregation"),
            "display_name": require(params, "display_name"),
            "event_name": event_name,
            "event_time_window": params.get("event_time_window"),
            "livemode": False,
            "status": "active",
            "value_settings": value,
        }
        self.state.meters[meter["id"]] = meter
        return meter

    def list_meters(self, query: Obj) -> Obj:
        meters = list(self.state.meters.values())
        if "status" in query:
            meters = [m for m in meters if m["status"] == query["status"]]
        return page(meters, query, "/v1/billing/meters")

    def retrieve_meter(self, meter_id: str) -> Obj:
        if meter_id not in self.state.meters:
            raise missing("billing.meter", meter_id)
        return self.state.meters[meter_id]

    def update_meter(self, meter_id: str, params: Obj) -> Obj:
        meter = self.retrieve_meter(meter_id)
        if "display_name" in params:
            meter["display_name"] = params["display_name"]
        return meter

    def set_meter_status(self, meter_id: str, status: str) -> Obj:
        meter = self.retrieve_meter(meter_id)
        meter["status"] = status
        return meter

    # -- meter events -----------------------------------------------------------------------

    def create_meter_event(self, params: Obj) -> Obj:
        event_name = require(params, "event_name")
        meter = self._active_meter(event_name)
        payload = require(params, "payload")
        customer = payload.get(meter["customer_mapping"]["event_payload_key"])
        if customer not in self.state.customers:
            raise invalid(f"No such customer: '{customer}'", "payload")
        value = to_decimal(payload.get(meter["value_settings"]["event_payload_key"]), "payload")
        now = self.state.now()
        timestamp = to_int(params.get("timestamp", now), "timestamp")
        if not now - EVENT_WINDOW_PAST_S <= timestamp <= now + EVENT_WINDOW_FUTURE_S:
            raise invalid(
                "Timestamp must be within the past 35 days or 5 minutes ahead.", "timestamp"
            )
        identifier = params.get("identifier") or self.state.new_id("mevt")
        if any(e["identifier"] == identifier for e in self.state.meter_events):
            raise invalid(f"An event already exists with identifier {identifier}.", "identifier")
        event = {
            "object": "billing.meter_event",
            "created": now,
            "event_name": event_name,
            "identifier": identifier,
            "livemode": False,
            "payload": payload,
            "timestamp": timestamp,
            "_customer": customer,
            "_value": value,
        }
        self.state.meter_events.append(event)
        return {k: v for k, v in event.items() if not k.startswith("_")}

    def _active_meter(self, event_name: str) -> Obj:
        for meter in self.state.meters.values():
            if meter["event_name"] == event_name and meter["status"] == "active":
                return meter
        raise invalid(f"No active meter found for event_name `{event_name}`.", "event_name")

    def event_summaries(self, meter_id: str, query: Obj) -> Obj:
        meter = self.retrieve_meter(meter_id)
        customer = require(query, "customer")
        start = to_int(require(query, "start_time"), "start_time")
        end = to_int(require(query, "end_time"), "end_time")
        if start % 60 or end % 60:
            raise invalid(
                "start_time and end_time must be aligned with minute boundaries.", "start_time"
            )
        total = sum(
            (e["_value"] for e in self.state.meter_events
             if e["event_name"] == meter["event_name"] and e["_customer"] == customer
             and start <= e["timestamp"] < end),
            Decimal(0),
        )  # fmt: skip
        summary = {
            "id": self.state.new_id("mtrusum"),
            "object": "billing.meter_event_summary",
            "aggregated_value": float(total),
            "end_time": end,
            "livemode": False,
            "meter": meter_id,
            "start_time": start,
        }
        return page([summary], query, f"/v1/billing/meters/{meter_id}/event_summaries")

    def meter_total(self, event_name: str, customer: str | None = None) -> Decimal:
        """Test helper: everything Stripe aggregated for a meter (optionally one customer)."""
        return sum(
            (e["_value"] for e in self.state.meter_events
             if e["event_name"] == event_name and customer in (None, e["_customer"])),
            Decimal(0),
        )  # fmt: skip

    def record_meter_event(
        self, event_name: str, customer: str, value: int, timestamp: int
    ) -> None:
        """Test helper: an event Stripe holds that RouterAI did not send (a discrepancy)."""
        self.create_meter_event(
            {
                "event_name": event_name,
                "timestamp": str(timestamp),
                "payload": {"stripe_customer_id": customer, "value": str(value)},
            }
        )


def _transfer(params: Obj) -> bool:
    return to_bool(params.get("transfer_lookup_key"))
