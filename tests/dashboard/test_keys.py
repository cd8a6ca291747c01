"""Key management by role: create, list, revoke (cache dropped), rotate with a grace period."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.keys import KeyManager
from gateway.db.enums import MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.db.users import create_user
from gateway.tenancy.keys import KeyNotFoundError, hash_api_key, resolve_api_key
from gateway.tenancy.resolver import tenant_cache_key

MakeOrg = Callable[..., Organization]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(engine: Engine, async_redis: aioredis.Redis, clock: Clock) -> KeyManager:
    return KeyManager(engine, async_redis, clock=clock)


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    """actor(org, role=OWNER): a new user acting in `org` with `role`."""

    def make(org: Organization, role: MemberRole = MemberRole.OWNER) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


async def test_a_created_key_is_listed_without_its_secret_and_resolves(
    keys: KeyManager, actor: Callable[..., Actor], engine: Engine, make_org: MakeOrg
) -> None:
    org = make_org("Acme")

    issued = await keys.create(actor(org), name="Backend", environment="dev")

    (row,) = await keys.list_keys(actor(org, MemberRole.VIEWER))
    assert row.name == "Backend" and row.environment == "dev" and row.status == "active"
    assert issued.api_key.startswith(row.prefix.rstrip("…"))
    assert issued.api_key not in repr(row)
    assert resolve_api_key(engine, full_key=issued.api_key) is not None


async def test_revoking_refuses_the_key_and_drops_its_cached_tenant_context(
    keys: KeyManager,
    actor: Callable[..., Actor],
    engine: Engine,
    async_redis: aioredis.Redis,
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme")
    issued = await keys.create(actor(org), name="Temp", environment="prod")
    cached = tenant_cache_key(hash_api_key(issued.api_key))
    await async_redis.set(cached, b"a cached context")

    row = await keys.revoke(actor(org, MemberRole.MEMBER), issued.row.id)

    assert row.status == "revoked"
    assert await async_redis.exists(cached) == 0
    assert resolve_api_key(engine, full_key=issued.api_key) is None


@pytest.mark.parametrize("change", ["create", "revoke", "rotate"])
async def test_viewers_see_keys_but_change_nothing(
    keys: KeyManager, actor: Callable[..., Actor], make_org: MakeOrg, change: str
) -> None:
    org = make_org("Acme")
    issued = await keys.create(actor(org), name="Backend", environment="prod")
    viewer = actor(org, MemberRole.VIEWER)

    with pytest.raises(PermissionDenied):
        if change == "create":
            await keys.create(viewer, name="Nope", environment="prod")
        elif change == "revoke":
            await keys.revoke(viewer, issued.row.id)
        else:
            await keys.rotate(viewer, issued.row.id)

    assert [r.status for r in await keys.list_keys(viewer)] == ["active"]


async def test_another_organizations_key_cannot_be_revoked(
    keys: KeyManager, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    mine, theirs = make_org("Mine"), make_org("Theirs")
    issued = await keys.create(actor(theirs), name="Theirs", environment="prod")

    with pytest.raises(KeyNotFoundError):
        await keys.revoke(actor(mine), issued.row.id)
    assert await keys.list_keys(actor(mine)) == []


async def test_rotation_without_grace_replaces_the_key_at_once(
    keys: KeyManager, actor: Callable[..., Actor], engine: Engine, make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    old = await keys.create(actor(org), name="Backend", environment="dev")

    new = await keys.rotate(actor(org), old.row.id)

    assert (new.row.name, new.row.environment) == ("Backend", "dev")
    assert resolve_api_key(engine, full_key=old.api_key) is None
    assert resolve_api_key(engine, full_key=new.api_key) is not None


async def test_rotation_with_grace_keeps_the_old_key_until_it_is_due(
    keys: KeyManager, actor: Callable[..., Actor], engine: Engine, make_org: MakeOrg, clock: Clock
) -> None:
    org = make_org("Acme")
    old = await keys.create(actor(org), name="Backend", environment="prod")

    await keys.rotate(actor(org), old.row.id, grace_s=3600)

    statuses = {r.id: r.status for r in await keys.list_keys(actor(org))}
    assert statuses[old.row.id] == "expiring"
    assert await keys.revoke_due() == 0
    assert resolve_api_key(engine, full_key=old.api_key) is not None

    clock.now += 3601
    assert await keys.revoke_due() == 1
    assert resolve_api_key(engine, full_key=old.api_key) is None
    assert await keys.revoke_due() == 0


async def test_rotation_refuses_odd_grace_periods_and_revoked_keys(
    keys: KeyManager, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    issued = await keys.create(actor(org), name="Backend", environment="prod")

    with pytest.raises(ValueError):
        await keys.rotate(actor(org), issued.row.id, grace_s=5)
    await keys.revoke(actor(org), issued.row.id)
    with pytest.raises(LookupError):
        await keys.rotate(actor(org), issued.row.id)


async def test_a_bad_name_or_environment_is_refused(
    keys: KeyManager, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme")
    with pytest.raises(ValueError):
        await keys.create(actor(org), name="   ", environment="prod")
    with pytest.raises(ValueError):
        await keys.create(actor(org), name="Fine", environment="staging")
