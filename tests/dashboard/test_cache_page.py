"""The cache page's service: the report, plan-bounded settings, clearing one org's namespace."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.billing.plans import CacheTier
from gateway.cache.store import RedisCacheStore, namespace
from gateway.dashboard.cache import CacheAdmin, CacheSettingsForm, HitRateDay
from gateway.dashboard.figures import cache_tiers_figure, hit_rate_figure
from gateway.db.enums import KeyEnvironment, MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.tenancy.keys import create_api_key
from gateway.tenancy.loader import DatabaseTenantLoader
from gateway.tenancy.resolver import TenantResolver
from tests.dashboard.conftest import NOW

MakeOrg = Callable[..., Organization]
NOW_MS = int(NOW.timestamp() * 1000)
DEFAULTS = CacheSettingsForm(True, 0.92, 86_400, 0.7)


@pytest.fixture
def store(async_redis: aioredis.Redis) -> RedisCacheStore:
    return RedisCacheStore(async_redis, max_entries=100)


@pytest.fixture
def cache(engine: Engine, async_redis: aioredis.Redis, store: RedisCacheStore) -> CacheAdmin:
    return CacheAdmin(engine, async_redis, store=store, clock=NOW.timestamp)


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.ADMIN) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


async def put(store: RedisCacheStore, org: Organization, exact: str) -> None:
    await store.put(
        str(org.id),
        scope="scope-1",
        exact=exact,
        body=b'{"choices": []}',
        cost_micro=120,
        now_ms=NOW_MS,
        ttl_ms=3_600_000,
        member=b"vector",
        label={"model": "auto"},
    )


# -- the report -------------------------------------------------------------------------


async def test_the_report_shows_hit_rates_tiers_savings_entries_and_memory(
    cache: CacheAdmin,
    store: RedisCacheStore,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    add_day: Callable[..., None],
    add_logs: Callable[..., None],
) -> None:
    org = make_org("Acme", plan="growth")
    today = NOW.date()
    add_day(org, today - timedelta(days=2), requests=10, cache_hits=4, cache_misses=6)
    add_logs(org, NOW - timedelta(hours=1), count=3, cache_status="exact", cost=0)
    add_logs(org, NOW - timedelta(hours=1), count=1, cache_status="semantic", cost=0)
    add_logs(org, NOW - timedelta(hours=1), count=4, cache_status="miss")
    add_logs(org, NOW - timedelta(days=40), count=5, cache_status="exact")  # out of range
    await put(store, org, "a")
    await put(store, org, "b")
    await store.record(str(org.id), status="exact", saved_micro=250)

    report = await cache.report(actor(org, MemberRole.VIEWER), days=7)

    assert report.tier is CacheTier.SEMANTIC and "semantic" in report.tier_note
    assert [d.day for d in report.days] == [today - timedelta(days=n) for n in range(6, -1, -1)]
    by_day = {d.day: d for d in report.days}
    assert (by_day[today - timedelta(days=2)].hits, by_day[today].hits) == (4, 4)
    assert by_day[today].misses == 4 and by_day[today].rate == 0.5
    assert by_day[today - timedelta(days=1)].rate is None
    assert report.hit_rate == 8 / 18
    assert (report.exact_hits, report.semantic_hits) == (3, 1)
    assert report.saved_micro == 250
    assert report.entries == 2
    assert report.memory_bytes > 0
    assert report.settings == DEFAULTS


async def test_an_organization_without_cache_use_reports_zeros(
    cache: CacheAdmin, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Quiet", plan="free")
    report = await cache.report(actor(org))
    assert report.tier is CacheTier.NONE and "Free plan has no cache" in report.tier_note
    assert (report.entries, report.memory_bytes, report.saved_micro) == (0, 0, 0)
    assert report.hit_rate is None


async def test_the_report_reads_only_the_actors_namespace(
    cache: CacheAdmin, store: RedisCacheStore, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    mine, theirs = make_org("Mine", plan="growth"), make_org("Theirs", plan="growth")
    await put(store, theirs, "x")
    await store.record(str(theirs.id), status="exact", saved_micro=900)
    report = await cache.report(actor(mine))
    assert (report.entries, report.memory_bytes, report.saved_micro) == (0, 0, 0)


# -- clearing ---------------------------------------------------------------------------


async def test_clearing_removes_this_orgs_entries_and_another_orgs_survive(
    cache: CacheAdmin,
    store: RedisCacheStore,
    async_redis: aioredis.Redis,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
) -> None:
    mine, theirs = make_org("Mine", plan="growth"), make_org("Theirs", plan="growth")
    for exact in ("a", "b", "c"):
        await put(store, mine, exact)
    await put(store, theirs, "a")

    removed = await cache.clear(actor(mine))

    assert removed == 3
    assert (await store.lookup(str(mine.id), "a", None))[0] is None
    assert (await cache.report(actor(mine))).entries == 0
    assert (await store.lookup(str(theirs.id), "a", None))[0] is not None
    assert (await cache.report(actor(theirs))).entries == 1
    theirs_keys = [k async for k in async_redis.scan_iter(match="gw:cache:*")]
    assert any(namespace(str(theirs.id)).encode() in k for k in theirs_keys)


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.VIEWER])
async def test_members_and_viewers_may_not_clear(
    cache: CacheAdmin,
    store: RedisCacheStore,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    role: MemberRole,
) -> None:
    org = make_org("Acme", plan="growth")
    await put(store, org, "a")
    with pytest.raises(PermissionDenied):
        await cache.clear(actor(org, role))
    assert (await store.lookup(str(org.id), "a", None))[0] is not None


async def test_owners_may_clear(
    cache: CacheAdmin, store: RedisCacheStore, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    await put(store, org, "a")
    assert await cache.clear(actor(org, MemberRole.OWNER)) == 1


# -- settings ---------------------------------------------------------------------------


async def test_admins_save_settings_within_the_ranges(
    cache: CacheAdmin, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    wanted = CacheSettingsForm(False, 0.95, 3_600, 0.3)
    assert await cache.save_settings(actor(org), wanted) == wanted
    assert (await cache.report(actor(org))).settings == wanted


@pytest.mark.parametrize(
    ("plan", "form", "message"),
    [
        ("free", CacheSettingsForm(True, 0.92, 3_600, 0.7), "Free plan has no cache"),
        ("starter", CacheSettingsForm(True, 0.85, 86_400, 0.7), "semantic matching"),
        ("growth", CacheSettingsForm(True, 0.5, 86_400, 0.7), "similarity threshold"),
        ("growth", CacheSettingsForm(True, 0.92, 10, 0.7), "time to live"),
        ("growth", CacheSettingsForm(True, 0.92, 86_400, 3.0), "temperature limit"),
    ],
)
async def test_settings_outside_the_plan_or_the_ranges_are_refused(
    cache: CacheAdmin,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    plan: str,
    form: CacheSettingsForm,
    message: str,
) -> None:
    org = make_org("Acme", plan=plan)
    with pytest.raises(ValueError, match=message):
        await cache.save_settings(actor(org), form)
    assert (await cache.report(actor(org))).settings == DEFAULTS


async def test_starter_may_change_everything_but_the_threshold(
    cache: CacheAdmin, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="starter")
    wanted = CacheSettingsForm(True, 0.92, 600, 0.2)
    assert await cache.save_settings(actor(org), wanted) == wanted


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.VIEWER])
async def test_members_and_viewers_may_not_change_settings(
    cache: CacheAdmin, actor: Callable[..., Actor], make_org: MakeOrg, role: MemberRole
) -> None:
    org = make_org("Acme", plan="growth")
    with pytest.raises(PermissionDenied):
        await cache.save_settings(actor(org, role), CacheSettingsForm(False, 0.92, 86_400, 0.7))
    assert (await cache.report(actor(org))).settings == DEFAULTS


async def test_settings_change_only_the_actors_organization(
    cache: CacheAdmin, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    mine, theirs = make_org("Mine", plan="growth"), make_org("Theirs", plan="growth")
    await cache.save_settings(actor(mine), CacheSettingsForm(False, 0.92, 86_400, 0.7))
    assert (await cache.report(actor(theirs))).settings == DEFAULTS


async def test_an_unknown_organization_is_refused(cache: CacheAdmin) -> None:
    stranger = Actor(uuid.uuid4(), uuid.uuid4(), MemberRole.OWNER)
    with pytest.raises(LookupError):
        await cache.save_settings(stranger, DEFAULTS)
    with pytest.raises(LookupError):
        await cache.report(stranger)


async def test_saved_settings_reach_a_freshly_resolved_tenant_context(
    engine: Engine,
    async_redis: aioredis.Redis,
    cache: CacheAdmin,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme", plan="growth")
    with tenant_session(engine, org.id) as session:
        _, api_key = create_api_key(
            session, org=org, name="Backend", environment=KeyEnvironment.PROD
        )
    resolver = TenantResolver(async_redis, DatabaseTenantLoader(engine))
    assert (await resolver.resolve(f"Bearer {api_key}")).cache_enabled

    await cache.save_settings(actor(org), CacheSettingsForm(False, 0.97, 600, 0.1))

    fresh = await TenantResolver(async_redis, DatabaseTenantLoader(engine)).resolve(
        f"Bearer {api_key}"
    )
    assert not fresh.cache_enabled
    assert (fresh.cache_threshold, fresh.cache_ttl_s, fresh.cache_max_temperature) == (
        0.97,
        600,
        0.1,
    )


# -- figures ----------------------------------------------------------------------------


def test_the_hit_rate_figure_shows_percentages_with_gaps_on_days_without_lookups() -> None:
    today = NOW.date()
    days = (
        HitRateDay(today - timedelta(days=2), hits=1, misses=3),
        HitRateDay(today - timedelta(days=1), hits=0, misses=0),
        HitRateDay(today, hits=4, misses=0),
    )
    figure = hit_rate_figure(days)
    hits, rate = figure.data
    assert list(rate.y) == [25.0, None, 100.0]
    assert list(hits.y) == [1, 0, 4]
    assert tuple(figure.layout.yaxis.range) == (0, 100)


def test_the_tiers_figure_shares_hits_between_exact_and_semantic() -> None:
    (bars,) = cache_tiers_figure(exact=3, semantic=1).data
    assert list(bars.y) == ["Semantic", "Exact"]
    assert list(bars.x) == [1, 3]
    assert list(bars.text) == ["25%", "75%"]
    (empty,) = cache_tiers_figure(exact=0, semantic=0).data
    assert list(empty.text) == ["", ""]
