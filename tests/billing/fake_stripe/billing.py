"""Customers, Checkout and portal sessions, subscriptions and invoices.

Besides the API, `Billing` offers what a real customer does on Stripe's pages
(completing a checkout, a payment failing, paying, cancelling), each returning the
objects the resulting webhook events carry.
"""

from __future__ import annotations

from tests.billing.fake_stripe.catalog import Catalog
from tests.billing.fake_stripe.state import (
    ApiError,
    Obj,
    State,
    invalid,
    metadata,
    missing,
    require,
    to_int,
)

PERIOD_S = 30 * 24 * 3600


def card_declined() -> ApiError:
    return ApiError(
        402,
        "Your card was declined.",
        type="card_error",
        code="card_declined",
        decline_code="generic_decline",
    )


class Billing:
    def __init__(self, state: State, catalog: Catalog, base_url: str) -> None:
        self.state = state
        self.catalog = catalog
        self.base_url = base_url

    # -- customers ------------------------------------------------------------------------

    def create_customer(self, params: Obj) -> Obj:
        customer_id = self.state.new_id("cus")
        customer = {
            "id": customer_id,
            "object": "customer",
            "created": self.state.now(),
            "email": params.get("email"),
            "livemode": False,
            "metadata": metadata(params),
            "name": params.get("name"),
        }
        self.state.customers[customer_id] = customer
        return customer

    def retrieve_customer(self, customer_id: str) -> Obj:
        if customer_id not in self.state.customers:
            raise missing("customer", customer_id)
        return self.state.customers[customer_id]

    # -- checkout -------------------------------------------------------------------------

    def create_checkout_session(self, params: Obj) -> Obj:
        mode = require(params, "mode")
        if mode != "subscription":
            raise invalid("This fake supports subscription mode only.", "mode")
        customer = params.get("customer")
        if customer is not None:
            self.retrieve_customer(customer)
        items = [self._line_item(i, item) for i, item in enumerate(require(params, "line_items"))]
        session_id = self.state.new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": self.state.now(),
            "customer": customer,
            "livemode": False,
            "metadata": metadata(params),
            "mode": mode,
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": require(params, "success_url"),
            "url": f"{self.base_url}/pay/{session_id}",
        }
        self.state.checkout_sessions[session_id] = session
        self.state.checkout_items[session_id] = items
        self.state.checkout_subscription_data[session_id] = params.get("subscription_data") or {}
        return session

    def _line_item(self, index: int, item: Obj) -> Obj:
        price = self.catalog.retrieve_price(require(item, "price"))
        param = f"line_items[{index}]"
        if not price["active"]:
            raise invalid(f"The price `{price['id']}` is not active.", f"{param}[price]")
        metered = (price["recurring"] or {}).get("usage_type") == "metered"
        if metered and "quantity" in item:
            raise invalid(
                "Quantity should not be specified where usage_type is `metered`. "
                f"Remove quantity from `{param}`.",
                f"{param}[quantity]",
            )
        if not metered and "quantity" not in item:
            raise invalid(
                f"Quantity is required. Add `quantity` to `{param}`.", f"{param}[quantity]"
            )
        quantity = None if metered else to_int(item["quantity"], f"{param}[quantity]")
        return {"price": price["id"], "quantity": quantity}

    def retrieve_checkout_session(self, session_id: str) -> Obj:
        if session_id not in self.state.checkout_sessions:
            raise missing("checkout.session", session_id)
        return self.state.checkout_sessions[session_id]

    def complete_checkout(self, session_id: str) -> tuple[Obj, Obj]:
        """The customer paid on the Checkout page: returns (session, subscription)."""
        session = self.retrieve_checkout_session(session_id)
        if session["status"] != "open":
            raise invalid("This Checkout Session is no longer open.")
        customer = session["customer"] or self.create_customer({})["id"]
        if customer in self.state.declining_customers:
            raise card_declined()
        data = self.state.checkout_subscription_data[session_id]
        subscription = self._new_subscription(customer, self.state.checkout_items[session_id], data)
        self.new_invoice(subscription, "paid")
        session.update(
            customer=customer,
            status="complete",
            payment_status="paid",
            subscription=subscription["id"],
        )
        return session, self.subscription_json(subscription["id"])

    # -- portal ---------------------------------------------------------------------------

    def create_portal_session(self, params: Obj) -> Obj:
        customer = self.retrieve_customer(require(params, "customer"))["id"]
        session_id = self.state.new_id("bps")
        session = {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": "bpc_default",
            "created": self.state.now(),
            "customer": customer,
            "livemode": False,
            "return_url": params.get("return_url"),
            "url": f"{self.base_url}/portal/{session_id}",
        }
        self.state.portal_sessions[session_id] = session
        return session

    # -- subscriptions --------------------------------------------------------------------

    def _new_subscription(self, customer: str, items: list[Obj], data: Obj) -> Obj:
        now = self.state.now()
        subscription_id = self.state.new_id("sub")
        subscription = {
            "id": subscription_id,
            "object": "subscription",
            "cancel_at_period_end": False,
            "created": now,
            "customer": customer,
            "latest_invoice": None,
            "livemode": False,
            "metadata": metadata(data),
            "status": "active",
            "_items": [self._item(item["price"], item["quantity"]) for item in items],
        }
        self.state.subscriptions[subscription_id] = subscription
        return subscription

    def _item(self, price_id: str, quantity: int | None) -> Obj:
        now = self.state.now()
        return {
            "id": self.state.new_id("si"),
            "object": "subscription_item",
            "current_period_end": now + PERIOD_S,
            "current_period_start": now,
            "metadata": {},
            "price": price_id,
            "quantity": quantity,
        }

    def retrieve_subscription(self, subscription_id: str) -> Obj:
        if subscription_id not in self.state.subscriptions:
            raise missing("subscription", subscription_id)
        return self.state.subscriptions[subscription_id]

    def subscription_json(self, subscription_id: str) -> Obj:
        subscription = self.retrieve_subscription(subscription_id)
        shown = {k: v for k, v in subscription.items() if not k.startswith("_")}
        data = [
            {**item, "subscription": subscription_id,
             "price": self.catalog.price_json(self.catalog.retrieve_price(item["price"]))}
            for item in subscription["_items"]
        ]  # fmt: skip
        shown["items"] = {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        }
        return shown

    def update_subscription(self, subscription_id: str, params: Obj) -> Obj:
        subscription = self.retrieve_subscription(subscription_id)
        items = [dict(item) for item in subscription["_items"]]
        for index, change in enumerate(params.get("items") or []):
            items = self._apply_item(items, index, change)
        if params.get("payment_behavior") == "error_if_incomplete" and (
            subscription["customer"] in self.state.declining_customers
        ):
            raise card_declined()
        subscription["_items"] = items
        subscription["metadata"] = metadata(params, subscription["metadata"])
        return self.subscription_json(subscription_id)

    def _apply_item(self, items: list[Obj], index: int, change: Obj) -> list[Obj]:
        param = f"items[{index}]"
        metered = False
        if "price" in change:
            price = self.catalog.retrieve_price(change["price"])
            metered = (price["recurring"] or {}).get("usage_type") == "metered"
            if metered and "quantity" in change:
                raise invalid(
                    "Quantity should not be specified where usage_type is `metered`.", param
                )
        if "id" not in change:
            price_id = require(change, "price")
            return [*items, self._item(price_id, None if metered else 1)]
        found = [item for item in items if item["id"] == change["id"]]
        if not found:
            raise invalid(f"No such subscription item: '{change['id']}'", f"{param}[id]")
        if change.get("deleted") == "true":
            return [item for item in items if item["id"] != change["id"]]
        if "price" in change:
            found[0]["price"] = change["price"]
        return items

    def set_subscription_status(self, subscription_id: str, status: str) -> Obj:
        self.retrieve_subscription(subscription_id)["status"] = status
        return self.subscription_json(subscription_id)

    def change_prices(self, subscription_id: str, prices: dict[str, str]) -> Obj:
        """What a plan switch in the Customer Portal does: swap item prices (old id → new id)."""
        for item in self.retrieve_subscription(subscription_id)["_items"]:
            item["price"] = prices.get(item["price"], item["price"])
        return self.subscription_json(subscription_id)

    # -- invoices -------------------------------------------------------------------------

    def new_invoice(self, subscription: Obj, status: str) -> Obj:
        invoice = {
            "id": self.state.new_id("in"),
            "object": "invoice",
            "created": self.state.now(),
            "customer": subscription["customer"],
            "livemode": False,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(subscription["metadata"]),
                    "subscription": subscription["id"],
                },
            },
            "status": status,
        }
        self.state.invoices[invoice["id"]] = invoice
        subscription["latest_invoice"] = invoice["id"]
        return invoice

    def retrieve_invoice(self, invoice_id: str) -> Obj:
        if invoice_id not in self.state.invoices:
            raise missing("invoice", invoice_id)
        return self.state.invoices[invoice_id]

    def fail_payment(self, subscription_id: str) -> Obj:
        """A renewal charge failed: an open invoice, and the subscription past due."""
        subscription = self.retrieve_subscription(subscription_id)
        subscription["status"] = "past_due"
        return self.new_invoice(subscription, "open")

    def pay_invoice(self, invoice_id: str) -> Obj:
        invoice = self.retrieve_invoice(invoice_id)
        invoice["status"] = "paid"
        subscription_id = invoice["parent"]["subscription_details"]["subscription"]
        self.retrieve_subscription(subscription_id)["status"] = "active"
        return invoice
