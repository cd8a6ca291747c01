"""The providers page's service: last-hour health per provider, breakers, plan and platform key
use, and the organization's own keys (checked with the sandbox provider, shown by last four)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.credentials.check import CredentialRejected
from gateway.credentials.crypto import SecretBox
from gateway.credentials.service import CredentialService
from gateway.credentials.store import CredentialNotFound
from gateway.dashboard.providers import ProvidersService, ProviderStatus
from gateway.db.enums import MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.db.users import create_user
from gateway.health.breaker import BreakerPolicy
from gateway.health.breaker_store import RedisBreakerStore
from gateway.providers.credentials import PlatformCredentials
from gateway.security.probe import guarded_probe
from tests.dashboard.conftest import NOW

MakeOrg = Callable[..., Organization]
BOX = SecretBox.from_secret_key("p" * 32)
OPENAI_KEY = "sk-proj-benchTestKey0123456789WXYZ"
NEW_KEY = "sk-proj-benchTestKey0123456789NEWK"
EVERY_PLATFORM_KEY = PlatformCredentials(
    {p: "sk-platform-key" for p in ("ollama", "groq", "together", "openai", "anthropic")}
)


@pytest.fixture
def breakers(async_redis: aioredis.Redis) -> RedisBreakerStore:
    return RedisBreakerStore(async_redis, BreakerPolicy(failure_threshold=2), cache_ttl_s=0)


@pytest.fixture
def make_service(
    engine: Engine, sandbox_url: str, breakers: RedisBreakerStore
) -> Callable[..., ProvidersService]:
    """make_service(platform=…, sandbox_mode=…): keys are checked against the sandbox."""

    def make(
        platform: PlatformCredentials = EVERY_PLATFORM_KEY, sandbox_mode: bool = False
    ) -> ProvidersService:
        probe = guarded_probe(lambda provider: f"{sandbox_url}/{provider}", allow_private=True)
        return ProvidersService(
            engine,
            CredentialService(engine, BOX, probe),
            breakers,
            platform=platform,
            sandbox_mode=sandbox_mode,
            clock=NOW.timestamp,
        )

    return make


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.ADMIN) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


def by_name(rows: list[ProviderStatus]) -> dict[str, ProviderStatus]:
    return {row.provider: row for row in rows}


async def test_health_counts_the_last_hour_of_this_organizations_calls(
    make_service: Callable[..., ProvidersService],
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    add_logs: Callable[..., None],
) -> None:
    org, other = make_org("Acme", plan="growth"), make_org("Other", plan="growth")
    recent = NOW - timedelta(minutes=10)
    for latency in (100, 200, 300, 400, 500, 600, 700, 800):
        add_logs(org, recent, provider="groq", latency_ms=latency)
    add_logs(org, recent, count=2, provider="groq", status_code=502, latency_ms=30_000)
    add_logs(org, recent, provider="groq", status_code=400, latency_ms=5)  # the client's fault
    add_logs(org, recent, provider="groq", cache_status="exact", latency_ms=1)  # no call made
    add_logs(org, NOW - timedelta(hours=2), count=5, provider="groq", status_code=503)
    add_logs(other, recent, count=7, provider="groq", status_code=503)
    add_logs(org, recent, provider="openai", latency_ms=900)

    rows = by_name(await make_service().statuses(actor(org, MemberRole.VIEWER)))

    groq = rows["groq"].health
    assert (groq.requests, groq.errors) == (11, 2)
    assert groq.error_rate == pytest.approx(2 / 11)
    assert (groq.p50_ms, groq.p95_ms) == (400, 800)  # nearest rank over the 8 successes
    assert (rows["openai"].health.requests, rows["openai"].health.p95_ms) == (1, 900)
    assert rows["anthropic"].health.requests == 0 and rows["anthropic"].health.error_rate is None


async def test_the_breaker_shown_is_the_one_the_gateway_would_use(
    make_service: Callable[..., ProvidersService],
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    breakers: RedisBreakerStore,
) -> None:
    org = make_org("Acme", plan="growth")
    service = make_service()
    now = NOW.timestamp()
    for _ in range(2):
        await breakers.record("groq:platform", False, now)
        await breakers.record(f"openai:{org.id}", False, now)  # a BYOK breaker, unused here

    rows = by_name(await service.statuses(actor(org)))

    assert rows["groq"].breaker == "open" and rows["groq"].uses_platform_key
    assert rows["openai"].breaker == "closed"  # the platform key's breaker is the one in use
    await service.add_key(actor(org), "openai", OPENAI_KEY)
    rows = by_name(await service.statuses(actor(org)))
    assert rows["openai"].breaker == "open" and not rows["openai"].uses_platform_key


async def test_plan_and_platform_key_use_per_provider(
    make_service: Callable[..., ProvidersService], actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    free, growth = make_org("Free", plan="free"), make_org("Growth", plan="growth")
    service = make_service()
    for provider in ("openai", "groq", "anthropic"):
        await service.add_key(actor(free), provider, OPENAI_KEY)

    free_rows = by_name(await service.statuses(actor(free)))
    growth_rows = by_name(await service.statuses(actor(growth)))

    # Free: no platform keys, two providers (its own keys first, in catalogue order).
    assert [p for p, r in free_rows.items() if r.in_plan and r.source] == ["groq", "openai"]
    assert not free_rows["anthropic"].in_plan and free_rows["anthropic"].source is None
    assert not any(r.uses_platform_key for r in free_rows.values())
    assert all(r.uses_platform_key and r.in_plan for r in growth_rows.values())
    assert not growth_rows["ollama"].takes_own_key and growth_rows["openai"].takes_own_key


async def test_keys_are_checked_stored_masked_replaced_and_removed(
    make_service: Callable[..., ProvidersService], actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="starter")
    service, admin = make_service(), actor(org)

    info = await service.add_key(admin, "openai", OPENAI_KEY)
    rows = await service.statuses(actor(org, MemberRole.VIEWER))

    assert info.last_four == "WXYZ" and by_name(rows)["openai"].key is not None
    assert by_name(rows)["openai"].key.masked == "openai …WXYZ"  # type: ignore[union-attr]
    assert OPENAI_KEY not in repr(rows) and OPENAI_KEY[:-4] not in repr(info)
    assert by_name(rows)["openai"].source is not None

    assert (await service.replace_key(admin, "openai", NEW_KEY)).last_four == "NEWK"
    with pytest.raises(CredentialRejected):  # the sandbox refuses keys saying "invalid"
        await service.replace_key(admin, "openai", "sk-invalid-0123456789abcdef")
    assert by_name(await service.statuses(admin))["openai"].key.last_four == "NEWK"  # type: ignore[union-attr]

    await service.remove_key(admin, "openai")
    assert by_name(await service.statuses(admin))["openai"].key is None
    with pytest.raises(CredentialNotFound):
        await service.remove_key(admin, "openai")


async def test_a_key_the_provider_refuses_is_not_stored(
    make_service: Callable[..., ProvidersService], actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org()
    service = make_service()
    with pytest.raises(CredentialRejected):
        await service.add_key(actor(org), "groq", "gsk-invalid-0123456789abcdef")
    assert by_name(await service.statuses(actor(org)))["groq"].key is None


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.VIEWER])
async def test_members_and_viewers_cannot_change_keys(
    make_service: Callable[..., ProvidersService],
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    role: MemberRole,
) -> None:
    org = make_org()
    service = make_service()
    await service.add_key(actor(org, MemberRole.OWNER), "openai", OPENAI_KEY)
    low = actor(org, role)

    with pytest.raises(PermissionDenied):
        await service.add_key(low, "groq", OPENAI_KEY)
    with pytest.raises(PermissionDenied):
        await service.replace_key(low, "openai", NEW_KEY)
    with pytest.raises(PermissionDenied):
        await service.remove_key(low, "openai")

    rows = by_name(await service.statuses(low))
    assert rows["openai"].key.last_four == "WXYZ" and rows["groq"].key is None  # type: ignore[union-attr]


async def test_another_organizations_admin_cannot_touch_its_keys(
    make_service: Callable[..., ProvidersService], actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    mine, theirs = make_org("Mine"), make_org("Theirs")
    service = make_service()
    await service.add_key(actor(mine), "openai", OPENAI_KEY)
    intruder = actor(theirs, MemberRole.OWNER)

    with pytest.raises(CredentialNotFound):
        await service.remove_key(intruder, "openai")
    with pytest.raises(CredentialNotFound):
        await service.replace_key(intruder, "openai", NEW_KEY)

    assert by_name(await service.statuses(intruder))["openai"].key is None
    assert by_name(await service.statuses(actor(mine)))["openai"].key.last_four == "WXYZ"  # type: ignore[union-attr]
