"""An organization's billing columns in the database, and the tenant caches they feed.

Changing a plan is one transaction on `organizations`; the caller then forgets the
cached tenant contexts of every key of the organization (`forget_tenants`, or the
resolver's async `invalidate`), so every gateway process applies the new limits
within its local cache's lifetime (1 s) plus one Redis round trip.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import redis
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.billing.plans import PlanName
from gateway.billing.subscriptions import GRACE_PERIOD, BillingState, after_grace
from gateway.db.enums import PlanStatus
from gateway.db.models import ApiKey, Organization
from gateway.db.sessions import scope_session, system_session
from gateway.tenancy.resolver import TENANT_CHANGES, keys_message, tenant_cache_key

log = logging.getLogger("routerai.billing")


def billing_state(org: Organization) -> BillingState:
    return BillingState(
        plan=org.plan,
        plan_status=org.plan_status,
        past_due_since=org.past_due_since,
        customer_id=org.stripe_customer_id,
        subscription_id=org.stripe_subscription_id,
    )


def set_billing_state(org: Organization, state: BillingState) -> bool:
    """Copy `state` onto the row; returns whether anything changed."""
    if billing_state(org) == state:
        return False
    org.plan = state.plan
    org.plan_status = state.plan_status
    org.past_due_since = state.past_due_since
    org.stripe_customer_id = state.customer_id
    org.stripe_subscription_id = state.subscription_id
    return True


def lock_org(session: Session, org_id: uuid.UUID) -> Organization | None:
    """The organization row, locked until the transaction ends (PostgreSQL; SQLite serialises)."""
    statement = select(Organization).where(Organization.id == org_id).with_for_update()
    return session.exec(statement).first()


def find_org_for_stripe(
    session: Session,
    *,
    subscription_id: str | None = None,
    customer_id: str | None = None,
    org_ref: str | None = None,
) -> Organization | None:
    """The organization a Stripe object belongs to (subscription, then customer, then
    the org id RouterAI put in its metadata), locked for update; None if unknown."""
    for column, value in (
        (Organization.stripe_subscription_id, subscription_id),
        (Organization.stripe_customer_id, customer_id),
    ):
        if value:
            statement = select(Organization).where(col(column) == value).with_for_update()
            org = session.exec(statement).first()
            if org is not None:
                return org
    org_id = _parse_org_id(org_ref)
    return lock_org(session, org_id) if org_id else None


def _parse_org_id(ref: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref) if ref else None
    except ValueError:
        return None


def key_hashes(session: Session, org_id: uuid.UUID) -> list[str]:
    """Every key hash of the organization; scopes `session` to it (row-level security)."""
    scope_session(session, org_id=org_id)
    statement = select(ApiKey.key_hash).where(ApiKey.org_id == org_id)
    return list(session.exec(statement).all())


def forget_tenants(client: redis.Redis, hashes: Iterable[str]) -> None:
    """The synchronous twin of `gateway.tenancy.resolver.invalidate` (workers, CLI)."""
    hashes = list(hashes)
    if hashes:
        client.delete(*(tenant_cache_key(h) for h in hashes))
        client.publish(TENANT_CHANGES, keys_message(hashes))


def enforce_grace_periods(
    engine: Engine, now: datetime, *, grace: timedelta = GRACE_PERIOD
) -> list[str]:
    """Give Free limits to organizations past due for longer than `grace`.

    Returns the key hashes whose cached tenant contexts must be forgotten. The
    subscription is kept, so a later `invoice.paid` restores the paid plan.
    """
    hashes: list[str] = []
    with system_session(engine) as session:
        statement = (
            select(Organization)
            .where(Organization.plan_status == PlanStatus.PAST_DUE)
            .where(Organization.plan != PlanName.FREE)
            .where(col(Organization.past_due_since) <= now - grace)
            .with_for_update()
        )
        for org in session.exec(statement).all():
            if set_billing_state(org, after_grace(billing_state(org), now, grace=grace)):
                session.add(org)
                session.flush()
                log.info("org %s: past due since %s; Free limits", org.id, org.past_due_since)
                hashes += key_hashes(session, org.id)
    return hashes
