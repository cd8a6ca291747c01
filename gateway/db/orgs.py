"""Organizations: creation (with a unique slug), and lookups by id and by slug.

On PostgreSQL a tenant session sees its own organization only: creating one, or
finding one by slug before any tenant is known, runs in a `system_session`.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from gateway.billing.plans import PlanName
from gateway.db.models import Organization, utcnow
from gateway.db.slugs import slug_candidates, slugify, validate_slug

NAME_MAX_LENGTH = 100
_SLUG_TRIES = 20


def create_organization(
    session: Session,
    *,
    name: str,
    plan: PlanName | str = PlanName.FREE,
    slug: str | None = None,
    budget_reset_day: int = 1,
    now: datetime | None = None,
) -> Organization:
    """Add a new organization and flush it; returns the row (with its id).

    Without `slug`, a unique one is derived from `name` ("Acme" -> "acme",
    then "acme-2", …). An explicit `slug` must be valid and free. Raises
    ValueError for an empty or too long name, an unknown plan, a bad or taken
    slug, or a reset day outside 1-28.
    """
    clean_name = clean_org_name(name)
    plan_name = _validate_plan(plan)
    if not 1 <= budget_reset_day <= 28:
        raise ValueError(f"budget_reset_day must be between 1 and 28, not {budget_reset_day}")
    if slug is None:
        slug = _free_slug(session, slugify(clean_name))
    elif get_org_by_slug(session, slug=validate_slug(slug)) is not None:
        raise ValueError(f"the slug {slug!r} is already taken")
    moment = now or utcnow()
    org = Organization(
        name=clean_name,
        slug=slug,
        plan=plan_name,
        budget_reset_day=budget_reset_day,
        budget_reset_at=next_budget_reset(moment, budget_reset_day),
        created_at=moment,
        updated_at=moment,
    )
    session.add(org)
    session.flush()
    return org


def get_org(session: Session, *, org_id: uuid.UUID) -> Organization | None:
    """The organization with this id, or None."""
    return session.get(Organization, org_id)


def get_org_by_slug(session: Session, *, slug: str) -> Organization | None:
    """The organization with this slug, or None."""
    return session.exec(select(Organization).where(Organization.slug == slug)).first()


def next_budget_reset(now: datetime, reset_day: int) -> datetime:
    """The first `reset_day`-of-the-month midnight UTC strictly after `now`."""
    now = now.astimezone(UTC)
    candidate = datetime(now.year, now.month, reset_day, tzinfo=UTC)
    if candidate > now:
        return candidate
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, reset_day, tzinfo=UTC)


def clean_org_name(name: str) -> str:
    """The name with its whitespace collapsed; ValueError when empty or too long."""
    clean = " ".join(name.split())
    if not clean:
        raise ValueError("an organization needs a name")
    if len(clean) > NAME_MAX_LENGTH:
        raise ValueError(f"organization names are at most {NAME_MAX_LENGTH} characters")
    return clean


def _validate_plan(plan: PlanName | str) -> PlanName:
    try:
        return PlanName(plan)
    except ValueError:
        known = ", ".join(p.value for p in PlanName)
        raise ValueError(f"unknown plan {plan!r}; expected one of: {known}") from None


def _free_slug(session: Session, base: str) -> str:
    # A concurrent sign-up can still take the slug between this check and the
    # flush; the unique constraint then raises IntegrityError to the caller.
    candidates = list(slug_candidates(base, _SLUG_TRIES))
    statement = select(Organization.slug).where(col(Organization.slug).in_(candidates))
    taken = set(session.exec(statement).all())
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    return validate_slug(base[:25].rstrip("-") + "-" + secrets.token_hex(3))
