"""Members and invitations by role: invite, accept once, revoke, change roles, keep an owner."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.members import (
    INVITATION_TTL,
    InvitationError,
    LastOwnerError,
    MemberManager,
    token_hash,
)
from gateway.db.enums import MemberRole
from gateway.db.members import add_member
from gateway.db.models import Invitation, Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user

MakeOrg = Callable[..., Organization]
Member = Callable[..., Actor]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def members(engine: Engine, clock: Clock) -> MemberManager:
    return MemberManager(engine, clock=clock)


@pytest.fixture
def member(engine: Engine) -> Member:
    """member(org, role=OWNER, email=None): a new user who belongs to `org` with `role`."""

    def make(org: Organization, role: MemberRole = MemberRole.OWNER, email: str = "") -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=email or f"{uuid.uuid4().hex[:12]}@example.com")
        with tenant_session(engine, org.id) as session:
            add_member(session, org_id=org.id, user_id=user.id, role=role)
        return Actor(user.id, org.id, role)

    return make


@pytest.fixture
def user(engine: Engine) -> Callable[[str], uuid.UUID]:
    """user(email): a signed-up user who belongs to no organization yet."""

    def make(email: str) -> uuid.UUID:
        with system_session(engine) as session:
            return create_user(session, email=email).id

    return make


def link_parts(link: str) -> tuple[uuid.UUID, str]:
    query = parse_qs(urlsplit(link).query)
    return uuid.UUID(query["org"][0]), query["token"][0]


async def roles(members: MemberManager, actor: Actor) -> dict[uuid.UUID, MemberRole]:
    return {row.user_id: row.role for row in await members.list_members(actor)}


async def test_an_invitation_is_accepted_once_with_its_role(
    members: MemberManager,
    member: Member,
    user: Callable[[str], uuid.UUID],
    engine: Engine,
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme")
    admin = member(org, MemberRole.ADMIN)
    issued = await members.invite(admin, email=" Ada@Example.com ", role="viewer")
    org_id, token = link_parts(issued.link)
    assert issued.link.startswith("/invite?") and org_id == org.id
    ada = user("ada@example.com")

    preview = await members.preview(org_id, token)
    joined = await members.accept(ada, org_id, token)

    assert preview.org_name == joined.org_name == "Acme" and joined.role is MemberRole.VIEWER
    assert (await roles(members, admin))[ada] is MemberRole.VIEWER
    assert await members.list_invitations(admin) == []
    with tenant_session(engine, org.id) as session:
        stored = session.exec(select(Invitation)).one()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert stored.accepted_at is not None
    other = user("ada2@example.com")
    with pytest.raises(InvitationError, match="already been used"):
        await members.accept(other, org_id, token)
    with pytest.raises(InvitationError, match="already been used"):
        await members.preview(org_id, token)


async def test_expired_revoked_wrong_org_and_wrong_token_are_refused(
    members: MemberManager,
    member: Member,
    user: Callable[[str], uuid.UUID],
    clock: Clock,
    make_org: MakeOrg,
) -> None:
    org, elsewhere = make_org("Acme"), make_org("Globex")
    owner = member(org)
    member(elsewhere)
    bob = user("bob@example.com")

    expiring = await members.invite(owner, email="bob@example.com", role="member")
    revoked = await members.invite(owner, email="bob@example.com", role="member")
    good = await members.invite(owner, email="bob@example.com", role="member")
    await members.revoke_invitation(owner, revoked.row.id)
    _, good_token = link_parts(good.link)

    with pytest.raises(InvitationError, match="revoked"):
        await members.accept(bob, *link_parts(revoked.link))
    with pytest.raises(InvitationError, match="not valid"):
        await members.accept(bob, elsewhere.id, good_token)
    with pytest.raises(InvitationError, match="not valid"):
        await members.accept(bob, org.id, good_token + "x")
    with pytest.raises(InvitationError, match="not valid"):
        await members.accept(bob, uuid.uuid4(), good_token)
    clock.now += INVITATION_TTL + timedelta(seconds=1)
    with pytest.raises(InvitationError, match="expired"):
        await members.accept(bob, *link_parts(expiring.link))
    assert bob not in await roles(members, owner)


async def test_only_the_invited_email_may_accept(
    members: MemberManager, member: Member, user: Callable[[str], uuid.UUID], make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    issued = await members.invite(member(org), email="carol@example.com", role="member")
    with pytest.raises(InvitationError, match=r"carol@example\.com"):
        await members.accept(user("mallory@example.com"), *link_parts(issued.link))
    carol = user("carol@example.com")
    assert (await members.accept(carol, *link_parts(issued.link))).role is MemberRole.MEMBER


async def test_inviting_an_existing_member_or_a_bad_address_is_refused(
    members: MemberManager, member: Member, make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    owner = member(org, email="owner@example.com")
    with pytest.raises(ValueError, match="already a member"):
        await members.invite(owner, email="OWNER@example.com", role="member")
    with pytest.raises(ValueError, match="email"):
        await members.invite(owner, email="not-an-address", role="member")
    with pytest.raises(ValueError, match="role"):
        await members.invite(owner, email="x@example.com", role="superuser")


async def test_only_an_owner_makes_owners(
    members: MemberManager, member: Member, make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    owner, admin, dev = member(org), member(org, MemberRole.ADMIN), member(org, MemberRole.MEMBER)

    with pytest.raises(PermissionDenied):
        await members.invite(admin, email="boss@example.com", role="owner")
    with pytest.raises(PermissionDenied):
        await members.change_role(admin, dev.user_id, "owner")
    with pytest.raises(PermissionDenied):
        await members.change_role(admin, admin.user_id, "owner")
    with pytest.raises(PermissionDenied):  # nor demote or remove one
        await members.change_role(admin, owner.user_id, "viewer")
    with pytest.raises(PermissionDenied):
        await members.remove(admin, owner.user_id)

    assert (await members.change_role(admin, dev.user_id, "viewer")).role is MemberRole.VIEWER
    assert (await members.change_role(owner, dev.user_id, "owner")).role is MemberRole.OWNER
    assert (await members.invite(owner, email="boss@example.com", role="owner")).row.role == "owner"


async def test_the_last_owner_cannot_leave_or_be_demoted_or_removed(
    members: MemberManager, member: Member, make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    owner, admin = member(org), member(org, MemberRole.ADMIN)

    with pytest.raises(LastOwnerError):
        await members.change_role(owner, owner.user_id, "admin")
    with pytest.raises(LastOwnerError):
        await members.remove(owner, owner.user_id)
    assert (await roles(members, owner))[owner.user_id] is MemberRole.OWNER

    await members.change_role(owner, admin.user_id, "owner")
    await members.remove(owner, owner.user_id)  # now another owner remains: leaving is fine
    assert (await roles(members, Actor(admin.user_id, org.id, MemberRole.OWNER))) == {
        admin.user_id: MemberRole.OWNER
    }


async def test_anyone_may_leave_but_only_admins_remove_others(
    members: MemberManager, member: Member, make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    owner, viewer, dev = member(org), member(org, MemberRole.VIEWER), member(org, MemberRole.MEMBER)

    with pytest.raises(PermissionDenied):
        await members.remove(dev, viewer.user_id)
    await members.remove(viewer, viewer.user_id)
    assert set(await roles(members, owner)) == {owner.user_id, dev.user_id}


@pytest.mark.parametrize("role", [MemberRole.VIEWER, MemberRole.MEMBER])
async def test_roles_below_admin_change_nothing(
    members: MemberManager, member: Member, make_org: MakeOrg, role: MemberRole
) -> None:
    org = make_org("Acme")
    owner, low = member(org), member(org, role)
    pending = await members.invite(owner, email="dan@example.com", role="member")

    with pytest.raises(PermissionDenied):
        await members.invite(low, email="eve@example.com", role="viewer")
    with pytest.raises(PermissionDenied):
        await members.revoke_invitation(low, pending.row.id)
    with pytest.raises(PermissionDenied):
        await members.change_role(low, owner.user_id, "viewer")
    with pytest.raises(PermissionDenied):
        await members.remove(low, owner.user_id)
    assert [row.id for row in await members.list_invitations(low)] == [pending.row.id]


async def test_another_organizations_ids_are_not_found(
    members: MemberManager, member: Member, make_org: MakeOrg
) -> None:
    acme, globex = make_org("Acme"), make_org("Globex")
    acme_owner = member(acme)
    globex_owner, globex_dev = member(globex), member(globex, MemberRole.MEMBER)
    theirs = await members.invite(globex_owner, email="fay@example.com", role="member")

    with pytest.raises(LookupError):
        await members.revoke_invitation(acme_owner, theirs.row.id)
    with pytest.raises(LookupError):
        await members.change_role(acme_owner, globex_dev.user_id, "viewer")
    with pytest.raises(LookupError):
        await members.remove(acme_owner, globex_dev.user_id)

    assert (await roles(members, globex_owner))[globex_dev.user_id] is MemberRole.MEMBER
    assert [row.id for row in await members.list_invitations(globex_owner)] == [theirs.row.id]
    assert await members.list_invitations(acme_owner) == []
