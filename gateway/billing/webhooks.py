"""Stripe webhook events → organization plans, each event applied once.

    verify     Stripe-Signature against STRIPE_WEBHOOK_SECRET (SDK's construct_event):
               a tampered body, wrong secret, stale timestamp or missing header is
               refused (WebhookRejected → 400) before anything is read or written
    dedupe     the event id is stored in `stripe_events` in the same transaction as
               the change it made; a redelivered event is acknowledged and ignored
    read       the subscription's *current* state is fetched from Stripe (and, for a
               failed payment, the invoice's), so late or reordered events converge; the
               organization's row is locked meanwhile, so two events for one organization
               apply in the order they read Stripe
    apply      `next_billing` decides the organization's plan; the keys whose cached
               tenant contexts must be forgotten are returned to the caller

Handled: checkout.session.completed, customer.subscription.{created,updated,deleted,
paused,resumed}, invoice.paid, invoice.payment_failed. Other events are recorded
and acknowledged. A Stripe error while reading propagates (the endpoint answers
500 and Stripe redelivers); nothing was written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.billing.accounts import (
    billing_state,
    find_org_for_stripe,
    key_hashes,
    set_billing_state,
)
from gateway.billing.subscriptions import SubscriptionState, next_billing
from gateway.db.models import Organization, StripeEvent, utcnow
from gateway.db.sessions import system_session

log = logging.getLogger("routerai.billing.webhooks")

SUBSCRIPTION_EVENTS = frozenset(
    f"customer.subscription.{what}"
    for what in ("created", "updated", "deleted", "paused", "resumed")
)
INVOICE_EVENTS = frozenset({"invoice.paid", "invoice.payment_failed"})
UNPAID_INVOICE = frozenset({"open", "uncollectible"})


class WebhookRejected(Exception):
    """The request is not a genuine, recent Stripe event (answer 400, change nothing)."""


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """What processing an event did: processed, duplicate or ignored."""

    status: str
    event_id: str
    event_type: str
    org_id: uuid.UUID | None = None
    key_hashes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Refs:
    """The Stripe ids an event names: where to find the organization and what to read."""

    subscription: str
    customer: str | None
    org_ref: str | None
    invoice: str | None = None


class WebhookProcessor:
    """Verifies and applies Stripe events (synchronous: the endpoint runs it in a thread)."""

    def __init__(
        self,
        engine: Engine,
        client: stripe.StripeClient,
        secret: str | None,
        *,
        clock: Callable[[], datetime] = utcnow,
        tolerance_s: int = stripe.Webhook.DEFAULT_TOLERANCE,
    ) -> None:
        self._engine = engine
        self._client = client
        self._secret = secret
        self._clock = clock
        self._tolerance_s = tolerance_s

    def verify(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in `payload` if `signature` proves Stripe sent it recently; else raise."""
        try:
            event = self._client.construct_event(
                payload, signature, self._secret, tolerance=self._tolerance_s
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(f"invalid Stripe signature: {exc.user_message}") from None
        except ValueError as exc:  # not JSON, or not an event
            raise WebhookRejected(f"invalid Stripe event payload: {exc}") from None
        return event.to_dict()

    def process(self, payload: bytes, signature: str | None) -> WebhookOutcome:
        """Verify, then apply the event once; returns what it did."""
        event = self.verify(payload, signature)
        try:
            return self._apply(event)
        except IntegrityError:
            if self._seen(str(event["id"])):  # a concurrent delivery of the same event won
                return WebhookOutcome("duplicate", event["id"], event["type"])
            raise

    def _apply(self, event: Mapping[str, Any]) -> WebhookOutcome:
        event_id, event_type = str(event["id"]), str(event["type"])
        obj = (event.get("data") or {}).get("object") or {}
        with system_session(self._engine) as session:
            if session.get(StripeEvent, event_id) is not None:
                return WebhookOutcome("duplicate", event_id, event_type)
            refs = _refs(event_type, obj)
            outcome = WebhookOutcome("ignored", event_id, event_type)
            if refs is not None:
                outcome = self._apply_refs(session, event_id, event_type, refs)
            now = self._clock()
            session.add(
                StripeEvent(id=event_id, type=event_type, received_at=now, processed_at=now)
            )
            session.flush()
            return outcome

    def _apply_refs(
        self, session: Session, event_id: str, event_type: str, refs: _Refs
    ) -> WebhookOutcome:
        org = find_org_for_stripe(
            session,
            subscription_id=refs.subscription,
            customer_id=refs.customer,
            org_ref=refs.org_ref,
        )
        read = self._read(refs)
        if read is None:
            return WebhookOutcome("ignored", event_id, event_type)
        subscription, unpaid = read
        org = org or find_org_for_stripe(
            session, customer_id=subscription.customer, org_ref=subscription.org_ref
        )
        if org is None:
            log.warning("Stripe event %s (%s) names no known organization", event_id, event_type)
            return WebhookOutcome("ignored", event_id, event_type)
        return self._update(session, org, subscription, unpaid, event_id, event_type)

    def _update(
        self,
        session: Session,
        org: Organization,
        subscription: SubscriptionState,
        unpaid: bool,
        event_id: str,
        event_type: str,
    ) -> WebhookOutcome:
        before = billing_state(org)
        after = next_billing(before, subscription, self._clock(), unpaid_invoice=unpaid)
        if not set_billing_state(org, after):
            return WebhookOutcome("processed", event_id, event_type, org.id)
        session.add(org)
        session.flush()
        log.info(
            "org %s: plan %s/%s -> %s/%s (Stripe event %s %s)",
            org.id,
            before.plan,
            before.plan_status,
            after.plan,
            after.plan_status,
            event_type,
            event_id,
        )
        return WebhookOutcome(
            "processed", event_id, event_type, org.id, tuple(key_hashes(session, org.id))
        )

    def _read(self, refs: _Refs) -> tuple[SubscriptionState, bool] | None:
        """The subscription's current state and whether the event's invoice is still unpaid."""
        try:
            subscription = self._client.v1.subscriptions.retrieve(refs.subscription).to_dict()
            unpaid = False
            if refs.invoice is not None:
                invoice = self._client.v1.invoices.retrieve(refs.invoice)
                unpaid = invoice.status in UNPAID_INVOICE
        except stripe.InvalidRequestError as exc:
            if exc.code != "resource_missing":
                raise
            log.warning("Stripe no longer has %s: %s", refs.subscription, exc.user_message)
            return None
        return SubscriptionState.from_stripe(subscription), unpaid

    def _seen(self, event_id: str) -> bool:
        with system_session(self._engine) as session:
            return session.get(StripeEvent, event_id) is not None


def _refs(event_type: str, obj: Mapping[str, Any]) -> _Refs | None:
    """The ids an event names, or None for events that do not concern a plan."""
    if event_type == "checkout.session.completed":
        subscription = _id(obj.get("subscription"))
        if obj.get("mode") != "subscription" or not subscription:
            return None
        return _Refs(subscription, _id(obj.get("customer")), obj.get("client_reference_id"))
    if event_type in SUBSCRIPTION_EVENTS:
        metadata = obj.get("metadata") or {}
        return _Refs(str(obj["id"]), _id(obj.get("customer")), metadata.get("org_id"))
    if event_type in INVOICE_EVENTS:
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        subscription = _id(details.get("subscription"))
        if not subscription:
            return None  # a one-off invoice, not a plan's
        invoice = str(obj["id"]) if event_type == "invoice.payment_failed" else None
        org_ref = (details.get("metadata") or {}).get("org_id")
        return _Refs(subscription, _id(obj.get("customer")), org_ref, invoice)
    return None


def _id(value: Any) -> str | None:
    """A Stripe reference, whether a bare id or an expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None
