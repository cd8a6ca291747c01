"""An organization's members and invitations, as the settings page changes them.

Admins manage members (Action.MANAGE_MEMBERS): invite, change roles, remove. Only an
owner may make someone an owner, or change or remove an owner; the last owner can
neither leave nor be demoted or removed (the owners' rows are locked while that is
checked, so two concurrent demotions cannot both pass). Anyone may leave, except the
last owner.

An invitation is a link `/invite?org=<org id>&token=<secret>`: the organization's id
lets acceptance open a tenant session for it, and only the SHA-256 of the secret is
stored. It is single-use (accepting sets `accepted_at` with a conditional update),
expires after `INVITATION_TTL`, can be revoked, and only the invited email may accept.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from gateway.auth.permissions import Action, Actor, PermissionDenied, require
from gateway.db.enums import MemberRole
from gateway.db.members import add_member, get_membership, list_members
from gateway.db.models import Invitation, Organization, OrgMember, User, utcnow
from gateway.db.sessions import tenant_session, user_session
from gateway.db.users import normalize_email

INVITATION_TTL = timedelta(days=7)
INVITE_PATH = "/invite"
INVALID_LINK = "This invitation link is not valid. Ask for a new one."


class InvitationError(ValueError):
    """The invitation cannot be used; the message says why, for the person holding it."""


class LastOwnerError(ValueError):
    """The change would leave the organization without an owner."""


@dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: uuid.UUID
    email: str
    display_name: str
    role: MemberRole
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationRow:
    id: uuid.UUID
    email: str
    role: MemberRole
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    """A new invitation and its link (shown once: only the token's hash is stored)."""

    row: InvitationRow
    link: str


@dataclass(frozen=True, slots=True)
class InvitationPreview:
    """What the invitation page shows before it is accepted."""

    org_id: uuid.UUID
    org_name: str
    email: str
    role: MemberRole


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(org_id: uuid.UUID, token: str) -> str:
    """The path a person follows to accept (the site's address goes in front)."""
    return f"{INVITE_PATH}?{urlencode({'org': str(org_id), 'token': token})}"


class MemberManager:
    """The organization's members and pending invitations."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    async def list_members(self, actor: Actor) -> list[MemberRow]:
        """Every member, oldest first."""
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(self._members, actor.org_id)

    async def list_invitations(self, actor: Actor) -> list[InvitationRow]:
        """Invitations neither accepted, revoked nor expired, newest first."""
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(self._pending, actor.org_id)

    async def invite(self, actor: Actor, *, email: str, role: str) -> IssuedInvitation:
        """A single-use invitation for `email` with `role`; ValueError for a bad one."""
        require(actor.role, Action.MANAGE_MEMBERS)
        target = _role(role)
        _check_may_grant(actor, target)
        return await asyncio.to_thread(self._invite, actor, normalize_email(email), target)

    async def revoke_invitation(self, actor: Actor, invitation_id: uuid.UUID) -> None:
        """The link stops working; LookupError when no pending invitation has this id."""
        require(actor.role, Action.MANAGE_MEMBERS)
        await asyncio.to_thread(self._revoke, actor.org_id, invitation_id)

    async def change_role(self, actor: Actor, user_id: uuid.UUID, role: str) -> MemberRow:
        """Give a member another role (owners only make or unmake owners)."""
        require(actor.role, Action.MANAGE_MEMBERS)
        target = _role(role)
        _check_may_grant(actor, target)
        await asyncio.to_thread(self._set_role, actor, user_id, target)
        return next(m for m in await self.list_members(actor) if m.user_id == user_id)

    async def remove(self, actor: Actor, user_id: uuid.UUID) -> None:
        """Remove a member (or leave, when `user_id` is the actor's own)."""
        if user_id != actor.user_id:
            require(actor.role, Action.MANAGE_MEMBERS)
        await asyncio.to_thread(self._set_role, actor, user_id, None)

    async def preview(self, org_id: uuid.UUID, token: str) -> InvitationPreview:
        """The invitation behind a link; InvitationError when it cannot be accepted."""
        return await asyncio.to_thread(self._preview, org_id, token)

    async def accept(self, user_id: uuid.UUID, org_id: uuid.UUID, token: str) -> InvitationPreview:
        """Make the signed-in user a member with the invited role; the link is then used."""
        return await asyncio.to_thread(self._accept, user_id, org_id, token)

    # -- database work, in worker threads --------------------------------------------------

    def _members(self, org_id: uuid.UUID) -> list[MemberRow]:
        with tenant_session(self._engine, org_id) as session:
            members = list_members(session, org_id=org_id)
            ids = [m.user_id for m in members]
            users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))}
        return [
            MemberRow(
                m.user_id,
                users[m.user_id].email,
                users[m.user_id].display_name,
                m.role,
                m.created_at,
            )
            for m in members
            if m.user_id in users
        ]

    def _pending(self, org_id: uuid.UUID) -> list[InvitationRow]:
        statement = (
            select(Invitation)
            .where(
                Invitation.org_id == org_id,
                col(Invitation.accepted_at).is_(None),
                col(Invitation.revoked_at).is_(None),
                col(Invitation.expires_at) > self._clock(),
            )
            .order_by(col(Invitation.created_at).desc())
        )
        with tenant_session(self._engine, org_id) as session:
            return [_invitation_row(row) for row in session.exec(statement)]

    def _invite(self, actor: Actor, email: str, role: MemberRole) -> IssuedInvitation:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with tenant_session(self._engine, actor.org_id) as session:
            if _member_with_email(session, actor.org_id, email) is not None:
                raise ValueError(f"{email} is already a member of this organization")
            invitation = Invitation(
                org_id=actor.org_id,
                email=email,
                role=role,
                token_hash=token_hash(token),
                invited_by=actor.user_id,
                created_at=now,
                expires_at=now + INVITATION_TTL,
            )
            session.add(invitation)
            session.flush()
        return IssuedInvitation(_invitation_row(invitation), invitation_link(actor.org_id, token))

    def _revoke(self, org_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
        statement = (
            update(Invitation)
            .where(
                col(Invitation.id) == invitation_id,
                col(Invitation.org_id) == org_id,
                col(Invitation.accepted_at).is_(None),
                col(Invitation.revoked_at).is_(None),
            )
            .values(revoked_at=self._clock())
        )
        with tenant_session(self._engine, org_id) as session:
            if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
                raise LookupError("no pending invitation with this id in the organization")

    def _set_role(self, actor: Actor, user_id: uuid.UUID, role: MemberRole | None) -> None:
        """Change a member's role, or remove them (`role` None), keeping an owner."""
        with tenant_session(self._engine, actor.org_id) as session:
            owners = _lock_owners(session, actor.org_id)
            member = get_membership(session, org_id=actor.org_id, user_id=user_id)
            if member is None:
                raise LookupError("no member with this id in the organization")
            if member.role == MemberRole.OWNER:
                if actor.role != MemberRole.OWNER:
                    raise _owners_only()
                if role != MemberRole.OWNER and len(owners) <= 1:
                    raise LastOwnerError(
                        "an organization needs an owner: make someone else an owner first"
                    )
            if role is None:
                session.delete(member)
            else:
                member.role = role
                session.add(member)

    def _preview(self, org_id: uuid.UUID, token: str) -> InvitationPreview:
        org = self._organization(org_id)
        with tenant_session(self._engine, org_id) as session:
            invitation = _usable(session, org_id, token, self._clock())
        return InvitationPreview(org.id, org.name, invitation.email, invitation.role)

    def _accept(self, user_id: uuid.UUID, org_id: uuid.UUID, token: str) -> InvitationPreview:
        org = self._organization(org_id)
        with user_session(self._engine, user_id) as session:
            user = session.get(User, user_id)
        if user is None:
            raise InvitationError("Sign in to accept this invitation.")
        now = self._clock()
        with tenant_session(self._engine, org_id) as session:
            invitation = _usable(session, org_id, token, now)
            if invitation.email != user.email:
                raise InvitationError(
                    f"This invitation was sent to {invitation.email}. Sign in with that "
                    "address to accept it."
                )
            if get_membership(session, org_id=org_id, user_id=user_id) is not None:
                raise InvitationError(f"You are already a member of {org.name}.")
            used = session.execute(
                update(Invitation)
                .where(col(Invitation.id) == invitation.id, col(Invitation.accepted_at).is_(None))
                .values(accepted_at=now)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                raise InvitationError("This invitation has already been used.")
            add_member(session, org_id=org_id, user_id=user_id, role=invitation.role)
        return InvitationPreview(org.id, org.name, invitation.email, invitation.role)

    def _organization(self, org_id: uuid.UUID) -> Organization:
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id)
        if org is None:
            raise InvitationError(INVALID_LINK)
        return org


def _member_with_email(session: Session, org_id: uuid.UUID, email: str) -> User | None:
    """The organization's member with this address, or None (whoever else may have it)."""
    statement = (
        select(User)
        .join(OrgMember, col(OrgMember.user_id) == col(User.id))
        .where(OrgMember.org_id == org_id, User.email == email)
    )
    return session.exec(statement).first()


def _usable(session: Session, org_id: uuid.UUID, token: str, now: datetime) -> Invitation:
    statement = select(Invitation).where(
        Invitation.org_id == org_id, Invitation.token_hash == token_hash(token)
    )
    invitation = session.exec(statement).first()
    if invitation is None:
        raise InvitationError(INVALID_LINK)
    if invitation.revoked_at is not None:
        raise InvitationError("This invitation was revoked. Ask for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    if invitation.expires_at <= now:
        raise InvitationError("This invitation has expired. Ask for a new one.")
    return invitation


def _lock_owners(session: Session, org_id: uuid.UUID) -> list[OrgMember]:
    statement = (
        select(OrgMember)
        .where(OrgMember.org_id == org_id, OrgMember.role == MemberRole.OWNER)
        .with_for_update()
    )
    return list(session.exec(statement))


def _role(role: str) -> MemberRole:
    try:
        return MemberRole(role)
    except ValueError:
        known = ", ".join(r.value for r in MemberRole)
        raise ValueError(f"unknown role {role!r}; choose one of: {known}") from None


def _check_may_grant(actor: Actor, role: MemberRole) -> None:
    if role == MemberRole.OWNER and actor.role != MemberRole.OWNER:
        raise _owners_only()


def _owners_only() -> PermissionDenied:
    return PermissionDenied("only an owner may make someone an owner or change an owner's role")


def _invitation_row(row: Invitation) -> InvitationRow:
    return InvitationRow(row.id, row.email, row.role, row.created_at, row.expires_at)
