"""Which organizations a user belongs to, with which role (for the switcher and guards)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from gateway.db.enums import MemberRole
from gateway.db.members import get_membership, list_memberships
from gateway.db.models import Organization
from gateway.db.sessions import tenant_session, user_session


@dataclass(frozen=True, slots=True)
class OrgChoice:
    """One organization the user may switch to."""

    org_id: uuid.UUID
    name: str
    slug: str
    plan: str
    role: MemberRole


def user_organizations(engine: Engine, user_id: uuid.UUID) -> list[OrgChoice]:
    """The user's organizations, in the order they joined them."""
    with user_session(engine, user_id) as session:
        roles = {m.org_id: m.role for m in list_memberships(session, user_id=user_id)}
        if not roles:
            return []
        statement = select(Organization).where(col(Organization.id).in_(list(roles)))
        orgs = {org.id: org for org in session.exec(statement)}
    return [
        OrgChoice(org_id, orgs[org_id].name, orgs[org_id].slug, orgs[org_id].plan.value, role)
        for org_id, role in roles.items()
        if org_id in orgs
    ]


def member_role(engine: Engine, *, org_id: uuid.UUID, user_id: uuid.UUID) -> MemberRole | None:
    """The user's role in the organization, or None when not a member."""
    with tenant_session(engine, org_id) as session:
        membership = get_membership(session, org_id=org_id, user_id=user_id)
    return None if membership is None else membership.role
