"""The organization's name, slug and deletion, by role."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.keys import KeyManager
from gateway.dashboard.organization import OrganizationManager
from gateway.db.enums import MemberRole
from gateway.db.models import ApiKey, Organization, OrgMember
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.tenancy.keys import hash_api_key, resolve_api_key
from gateway.tenancy.resolver import tenant_cache_key

MakeOrg = Callable[..., Organization]


@pytest.fixture
def orgs(engine: Engine, async_redis: aioredis.Redis) -> OrganizationManager:
    return OrganizationManager(engine, async_redis)


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.OWNER) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


async def issue_key(engine: Engine, redis: aioredis.Redis, actor: Actor) -> str:
    return (await KeyManager(engine, redis).create(actor, name="Prod", environment="prod")).api_key


async def test_renaming_validates_the_name_and_slug(
    orgs: OrganizationManager, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    make_org("Globex")
    admin = actor(org, MemberRole.ADMIN)

    details = await orgs.update(admin, name="  Acme   Labs ", slug="Acme-Labs")
    assert (details.name, details.slug) == ("Acme Labs", "acme-labs")
    assert (await orgs.details(actor(org, MemberRole.VIEWER))).slug == "acme-labs"

    with pytest.raises(ValueError, match="already taken"):
        await orgs.update(admin, name="Acme", slug="globex")
    with pytest.raises(ValueError, match="invalid slug"):
        await orgs.update(admin, name="Acme", slug="acme_labs")
    with pytest.raises(ValueError, match="needs a name"):
        await orgs.update(admin, name="   ", slug="acme")
    with pytest.raises(ValueError, match="at most"):
        await orgs.update(admin, name="x" * 101, slug="acme")
    assert (await orgs.details(admin)).name == "Acme Labs"


async def test_a_new_slug_drops_the_cached_contexts_of_keys_carrying_the_old_one(
    orgs: OrganizationManager,
    actor: Callable[..., Actor],
    engine: Engine,
    async_redis: aioredis.Redis,
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme")
    key = await issue_key(engine, async_redis, actor(org))
    cached = tenant_cache_key(hash_api_key(key))
    await async_redis.set(cached, b"a cached context")

    await orgs.update(actor(org, MemberRole.ADMIN), name="Acme", slug="acme-two")

    assert await async_redis.exists(cached) == 0
    assert resolve_api_key(engine, full_key=key) is None


async def test_deleting_removes_the_organization_and_its_keys_stop_at_once(
    orgs: OrganizationManager,
    actor: Callable[..., Actor],
    engine: Engine,
    async_redis: aioredis.Redis,
    make_org: MakeOrg,
) -> None:
    org, other = make_org("Acme"), make_org("Globex")
    owner = actor(org)
    key = await issue_key(engine, async_redis, owner)
    other_key = await issue_key(engine, async_redis, actor(other))
    cached = tenant_cache_key(hash_api_key(key))
    await async_redis.set(cached, b"a cached context")
    assert resolve_api_key(engine, full_key=key) is not None

    with pytest.raises(ValueError, match="exactly"):
        await orgs.delete(owner, confirm_name="acme")
    await orgs.delete(owner, confirm_name="Acme")

    assert await async_redis.exists(cached) == 0
    assert resolve_api_key(engine, full_key=key) is None
    assert resolve_api_key(engine, full_key=other_key) is not None
    with system_session(engine) as session:
        assert session.get(Organization, org.id) is None
    with tenant_session(engine, org.id) as session:
        assert session.exec(select(ApiKey).where(ApiKey.org_id == org.id)).all() == []
        assert session.exec(select(OrgMember).where(OrgMember.org_id == org.id)).all() == []


async def test_a_paying_organization_cancels_before_deleting(
    orgs: OrganizationManager, actor: Callable[..., Actor], engine: Engine, make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    with system_session(engine) as session:
        row = session.get(Organization, org.id)
        assert row is not None
        row.stripe_subscription_id = "sub_123"
        session.add(row)
    with pytest.raises(ValueError, match="cancel the subscription"):
        await orgs.delete(actor(org), confirm_name="Acme")
    assert (await orgs.details(actor(org))).name == "Acme"


@pytest.mark.parametrize("role", [MemberRole.ADMIN, MemberRole.MEMBER, MemberRole.VIEWER])
async def test_only_owners_delete(
    orgs: OrganizationManager, actor: Callable[..., Actor], make_org: MakeOrg, role: MemberRole
) -> None:
    org = make_org("Acme")
    with pytest.raises(PermissionDenied):
        await orgs.delete(actor(org, role), confirm_name="Acme")
    assert (await orgs.details(actor(org))).name == "Acme"


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.VIEWER])
async def test_roles_below_admin_cannot_rename(
    orgs: OrganizationManager, actor: Callable[..., Actor], make_org: MakeOrg, role: MemberRole
) -> None:
    org = make_org("Acme")
    with pytest.raises(PermissionDenied):
        await orgs.update(actor(org, role), name="Hacked", slug="hacked")
    assert (await orgs.details(actor(org))).slug == org.slug


async def test_the_actor_only_ever_changes_its_own_organization(
    orgs: OrganizationManager, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    acme, globex = make_org("Acme"), make_org("Globex")
    owner = actor(acme)

    with pytest.raises(ValueError, match="exactly"):  # another org's name confirms nothing
        await orgs.delete(owner, confirm_name="Globex")
    await orgs.update(owner, name="Acme 2", slug="acme-2")

    assert (await orgs.details(actor(globex))).name == "Globex"
    gone = Actor(owner.user_id, uuid.uuid4(), MemberRole.OWNER)
    with pytest.raises(LookupError):
        await orgs.update(gone, name="Ghost", slug="ghost")
    with pytest.raises(LookupError):
        await orgs.delete(gone, confirm_name="Ghost")
