"""Organization membership: who belongs to an organization, with which role.

`org_members` is tenant-owned: adding and listing an organization's members
runs in a `tenant_session` for that organization; listing a user's own
memberships across organizations runs in a `user_session`.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from gateway.db.enums import MemberRole
from gateway.db.models import OrgMember


def add_member(
    session: Session,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    role: MemberRole | str = MemberRole.MEMBER,
) -> OrgMember:
    """Make `user_id` a member of `org_id` with `role`, and flush.

    Raises ValueError for an unknown role or when the user already is a member.
    """
    try:
        member_role = MemberRole(role)
    except ValueError:
        known = ", ".join(r.value for r in MemberRole)
        raise ValueError(f"unknown role {role!r}; expected one of: {known}") from None
    if get_membership(session, org_id=org_id, user_id=user_id) is not None:
        raise ValueError("this user is already a member of the organization")
    member = OrgMember(org_id=org_id, user_id=user_id, role=member_role)
    session.add(member)
    session.flush()
    return member


def get_membership(session: Session, *, org_id: uuid.UUID, user_id: uuid.UUID) -> OrgMember | None:
    """The user's membership in the organization, or None."""
    statement = select(OrgMember).where(OrgMember.org_id == org_id, OrgMember.user_id == user_id)
    return session.exec(statement).first()


def list_members(session: Session, *, org_id: uuid.UUID) -> list[OrgMember]:
    """The organization's memberships, oldest first."""
    statement = (
        select(OrgMember).where(OrgMember.org_id == org_id).order_by(col(OrgMember.created_at))
    )
    return list(session.exec(statement).all())


def list_memberships(session: Session, *, user_id: uuid.UUID) -> list[OrgMember]:
    """The user's memberships in every organization, oldest first (use a `user_session`)."""
    statement = (
        select(OrgMember).where(OrgMember.user_id == user_id).order_by(col(OrgMember.created_at))
    )
    return list(session.exec(statement).all())
