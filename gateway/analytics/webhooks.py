"""Budget alerts delivered to an organization's notification webhook, signed.

The request is a JSON POST carrying `RouterAI-Signature: t=<unix seconds>,v1=<hex>`, where
v1 is HMAC-SHA256 over `"<t>." + body` with the organization's webhook secret. The secret is
derived from the deployment's secret key and the organization's id (`webhook_secret`), so
nothing extra is stored and the dashboard can show it to the organization. Receivers verify
it with `verify_signature` (or the same three lines in any language) and dedupe on the
`RouterAI-Event-Id` header, since a delivery may be retried.

A delivery that fails (transport error or non-2xx) counts its attempt and raises
`WebhookDeliveryError`; the caller retries it with back-off. A delivered alert is never
sent again.

The URL is the tenant's, so it is checked before anything is sent
(`gateway.security.urls.check_outbound_url`): one that reaches a loopback, private,
link-local or metadata address is refused (`Outcome.BLOCKED`, never retried) unless
`allow_private` (the `ROUTERAI_ALLOW_PRIVATE_WEBHOOKS` setting). Pass an `http` client from
`gateway.security.http.guarded_client` so that redirects and DNS rebinding are refused too.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine
from sqlmodel import col, select

from gateway.analytics.alerts import BudgetCaps
from gateway.billing.plans import get_plan
from gateway.db.enums import BudgetKind
from gateway.db.models import BudgetAlert, Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.security.urls import UnresolvableHost, UnsafeURL, check_outbound_url

SIGNATURE_HEADER = "RouterAI-Signature"
EVENT_ID_HEADER = "RouterAI-Event-Id"
EVENT_TYPE = "budget.threshold_reached"
SIGNATURE_TOLERANCE_S = 300
TIMEOUT_S = 10.0


class WebhookDeliveryError(Exception):
    """The webhook did not accept the delivery; retry later."""


class Outcome(StrEnum):
    DELIVERED = "delivered"
    ALREADY_DELIVERED = "already_delivered"
    NOT_SUBSCRIBED = "not_subscribed"  # no webhook, or a plan without budget alerts
    GONE = "gone"  # the alert (or its organization) no longer exists
    BLOCKED = "blocked"  # the webhook's address is one RouterAI must not reach


def webhook_secret(secret_key: str, org_id: uuid.UUID | str) -> str:
    """The organization's signing secret, derived from the deployment's secret key."""
    digest = hmac.new(secret_key.encode(), f"webhook:{org_id}".encode(), hashlib.sha256)
    return "whsec_" + digest.hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, body: bytes, header: str, now: float, tolerance_s: int = SIGNATURE_TOLERANCE_S
) -> bool:
    """Whether `header` signs `body` with `secret`, sent within `tolerance_s` of `now`."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    fresh = abs(now - timestamp) <= tolerance_s
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


def alert_payload(alert: BudgetAlert, org: Organization) -> dict[str, Any]:
    """The event a webhook receives for `alert`."""
    kind = BudgetKind(alert.kind)
    limit = BudgetCaps.of(org).get(kind)
    budget: dict[str, Any] = {"kind": kind.value, "period": alert.period}
    budget["threshold_percent"] = alert.threshold
    if kind is BudgetKind.USD:
        budget["limit_usd"] = None if limit is None else f"{limit / 1_000_000:.6f}"
    else:
        budget["limit_tokens"] = limit
    return {
        "id": f"evt_budget_{alert.id}",
        "type": EVENT_TYPE,
        "created_at": alert.created_at.isoformat(),
        "organization": {"id": str(org.id), "slug": org.slug},
        "budget": budget,
    }


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a delivery needs, read in one short transaction before the HTTP call."""

    url: str
    body: bytes
    event_id: str


def deliver_budget_alert(
    engine: Engine,
    http: httpx.Client,
    *,
    alert_id: int,
    org_id: uuid.UUID,
    secret_key: str,
    now: datetime,
    allow_private: bool = False,
) -> Outcome:
    """POST the alert to the organization's webhook once; raises WebhookDeliveryError to retry."""
    delivery, outcome = _prepare(engine, alert_id=alert_id, org_id=org_id)
    if delivery is None:
        return outcome
    try:
        check_outbound_url(delivery.url, allow_private=allow_private)
    except UnresolvableHost:
        _record_attempt(engine, alert_id=alert_id, org_id=org_id, delivered_at=None)
        raise WebhookDeliveryError("the webhook's host could not be resolved") from None
    except UnsafeURL:
        _record_attempt(engine, alert_id=alert_id, org_id=org_id, delivered_at=None)
        return Outcome.BLOCKED
    body = delivery.body
    headers = {
        "content-type": "application/json",
        "user-agent": "RouterAI-Webhooks/1",
        EVENT_ID_HEADER: delivery.event_id,
        SIGNATURE_HEADER: sign(webhook_secret(secret_key, org_id), body, int(now.timestamp())),
    }
    try:
        response = http.post(delivery.url, content=body, headers=headers, timeout=TIMEOUT_S)
        error = None if response.is_success else f"the webhook answered {response.status_code}"
    except httpx.HTTPError as exc:
        error = f"the webhook could not be reached: {type(exc).__name__}"
    _record_attempt(engine, alert_id=alert_id, org_id=org_id, delivered_at=None if error else now)
    if error:
        raise WebhookDeliveryError(error)
    return Outcome.DELIVERED


def wants_delivery(org: Organization) -> bool:
    """Whether the organization's alerts go to a webhook (one set, and a plan that has them)."""
    return bool(org.notification_webhook_url) and get_plan(org.plan).budget_alerts


def _prepare(
    engine: Engine, *, alert_id: int, org_id: uuid.UUID
) -> tuple[Delivery | None, Outcome]:
    with tenant_session(engine, org_id) as session:
        alert = session.get(BudgetAlert, alert_id)
        org = session.get(Organization, org_id)
        if alert is None or org is None or alert.org_id != org_id:
            return None, Outcome.GONE
        if alert.delivered_at is not None:
            return None, Outcome.ALREADY_DELIVERED
        if not wants_delivery(org):
            return None, Outcome.NOT_SUBSCRIBED
        payload = alert_payload(alert, org)
        url = org.notification_webhook_url
        assert url is not None
        return Delivery(url, orjson.dumps(payload), payload["id"]), Outcome.DELIVERED


def _record_attempt(
    engine: Engine, *, alert_id: int, org_id: uuid.UUID, delivered_at: datetime | None
) -> None:
    with tenant_session(engine, org_id) as session:
        alert = session.get(BudgetAlert, alert_id, with_for_update=True)
        if alert is None:
            return
        alert.attempts += 1
        if delivered_at is not None and alert.delivered_at is None:
            alert.delivered_at = delivered_at
        session.add(alert)


def undelivered_alerts(
    engine: Engine, *, created_after: datetime, created_before: datetime
) -> list[tuple[int, uuid.UUID]]:
    """(alert id, org id) of alerts never attempted, for organizations that want them sent.

    A sweep re-sends these: the job that raised them may have died before it queued their
    delivery. Alerts with attempts are left to the retries already under way.
    """
    with system_session(engine) as session:
        orgs = session.exec(
            select(Organization).where(col(Organization.notification_webhook_url).is_not(None))
        ).all()
    found: list[tuple[int, uuid.UUID]] = []
    for org in filter(wants_delivery, orgs):
        with tenant_session(engine, org.id) as session:
            statement = select(BudgetAlert.id).where(
                BudgetAlert.org_id == org.id,
                col(BudgetAlert.delivered_at).is_(None),
                BudgetAlert.attempts == 0,
                col(BudgetAlert.created_at) >= created_after,
                col(BudgetAlert.created_at) < created_before,
            )
            found += [(alert_id, org.id) for alert_id in session.exec(statement) if alert_id]
    return found
