"""`FakeStripe`: the fake served on 127.0.0.1, its controls, and the webhooks it sends.

    with FakeStripe() as fake:                 # serves on a free port
        settings = Settings(STRIPE_API_BASE=fake.url, STRIPE_SECRET_KEY=fake.api_key, ...)
        fake.fail("POST", "/v1/billing/meter_events", "server_error", times=3)
        fake.webhook_url = ".../webhooks/stripe"
        fake.complete_checkout(session_id)     # the customer pays; webhooks are delivered

Events are signed with the SDK's own `WebhookSignature.generate_signature_header`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import stripe

from tests.billing.fake_stripe.app import Controls, Fault, Hold, Recorded, build_app
from tests.billing.fake_stripe.billing import Billing
from tests.billing.fake_stripe.catalog import Catalog
from tests.billing.fake_stripe.state import Obj, State
from tests.fixtures.servers import serve_in_thread


class FakeStripe:
    def __init__(
        self,
        *,
        api_key: str = "sk_test_routerai_fake",
        webhook_secret: str = "whsec_routerai_fake",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None
        self.state = State(clock=clock)
        self.catalog = Catalog(self.state)
        self.billing = Billing(self.state, self.catalog, base_url="")
        self.controls = Controls()
        self.url = ""
        self._stack = ExitStack()

    def __enter__(self) -> FakeStripe:
        app = build_app(self.state, self.billing, self.controls, self.api_key)
        self.url = self._stack.enter_context(serve_in_thread(app))
        self.billing.base_url = self.url
        return self

    def __exit__(self, *exc: object) -> None:
        for hold in self.controls.holds:
            hold.release.set()
        self._stack.close()

    # -- faults and observation -------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        kind: str = "server_error",
        *,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """The next `times` requests under `path` fail with `kind` (see app.FAULTS)."""
        self.controls.faults.append(Fault(method, path, kind, times, after_processing))

    def hold(self, method: str, path: str) -> Hold:
        """The next request under `path` executes, then its answer waits for `release`."""
        hold = Hold(method, path)
        self.controls.holds.append(hold)
        return hold

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.controls.requests if r.method == method and r.path == path]

    def decline_cards_of(self, customer: str) -> None:
        self.state.declining_customers.add(customer)

    def meter_total(self, event_name: str, customer: str | None = None) -> int:
        with self.state.lock:
            return int(self.catalog.meter_total(event_name, customer))

    # -- webhooks -------------------------------------------------------------------------

    def event(self, event_type: str, obj: Obj) -> Obj:
        return {
            "id": self.state.new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": self.state.now(),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    def signed(
        self, event: Obj, *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        """The event's body and a Stripe-Signature header for it."""
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            payload, secret or self.webhook_secret, timestamp=timestamp
        )
        return payload.encode(), header

    def deliver(self, event: Obj) -> httpx.Response:
        """POST one signed event to `webhook_url`, as Stripe does."""
        assert self.webhook_url, "set fake.webhook_url first"
        payload, header = self.signed(event)
        return httpx.post(
            self.webhook_url,
            content=payload,
            headers={"content-type": "application/json", "stripe-signature": header},
            timeout=30,
        )

    def _emit(self, events: list[Obj], deliver: bool) -> list[Obj]:
        if deliver:
            for event in events:
                response = self.deliver(event)
                assert response.status_code == 200, response.text
        return events

    # -- what customers do on Stripe's pages ------------------------------------------------

    def complete_checkout(self, session_id: str, *, deliver: bool = True) -> list[Obj]:
        with self.state.lock:
            session, subscription = self.billing.complete_checkout(session_id)
        events = [
            self.event("customer.subscription.created", subscription),
            self.event("checkout.session.completed", session),
        ]
        return self._emit(events, deliver)

    def switch_prices(
        self, subscription_id: str, prices: dict[str, str], *, deliver: bool = True
    ) -> list[Obj]:
        """A plan switch in the Customer Portal (old price id → new price id)."""
        with self.state.lock:
            subscription = self.billing.change_prices(subscription_id, prices)
        return self._emit([self.event("customer.subscription.updated", subscription)], deliver)

    def cancel(self, subscription_id: str, *, deliver: bool = True) -> list[Obj]:
        with self.state.lock:
            subscription = self.billing.set_subscription_status(subscription_id, "canceled")
        return self._emit([self.event("customer.subscription.deleted", subscription)], deliver)

    def fail_payment(self, subscription_id: str, *, deliver: bool = True) -> list[Obj]:
        with self.state.lock:
            invoice = dict(self.billing.fail_payment(subscription_id))
            subscription = self.billing.subscription_json(subscription_id)
        events = [
            self.event("invoice.payment_failed", invoice),
            self.event("customer.subscription.updated", subscription),
        ]
        return self._emit(events, deliver)

    def pay(self, invoice_id: str, *, deliver: bool = True) -> list[Obj]:
        with self.state.lock:
            invoice = dict(self.billing.pay_invoice(invoice_id))
            subscription_id = invoice["parent"]["subscription_details"]["subscription"]
            subscription = self.billing.subscription_json(subscription_id)
        events = [
            self.event("invoice.paid", invoice),
            self.event("customer.subscription.updated", subscription),
        ]
        return self._emit(events, deliver)

    def session_for(self, url: str) -> Obj:
        """The Checkout Session behind a checkout URL the fake handed out."""
        session_id = url.rstrip("/").rsplit("/", 1)[-1]
        with self.state.lock:
            return dict(self.billing.retrieve_checkout_session(session_id))

    def line_items(self, session_id: str) -> list[Obj]:
        with self.state.lock:
            return [dict(item) for item in self.state.checkout_items[session_id]]

    def subscription(self, subscription_id: str) -> Obj:
        with self.state.lock:
            return self.billing.subscription_json(subscription_id)

    def prices_by_key(self) -> dict[str, Obj]:
        with self.state.lock:
            return {p["lookup_key"]: p for p in self.state.prices.values() if p["lookup_key"]}

    def objects(self) -> Iterator[tuple[str, Any]]:
        """Every product, price and meter id (to check that a sync created nothing new)."""
        with self.state.lock:
            yield from (("product", k) for k in list(self.state.products))
            yield from (("price", k) for k in list(self.state.prices))
            yield from (("meter", k) for k in list(self.state.meters))
