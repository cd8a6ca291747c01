"""Routing settings: weights, plan-bounded allow-lists, previews of the draft, saving by role."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.routing import (
    SAMPLE_PROMPTS,
    RoutingDraft,
    RoutingSettings,
    percent_weights,
    rebalance,
    validate_weights,
)
from gateway.db.enums import KeyEnvironment, MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.pricing.catalog import Catalog
from gateway.routing.router import Router
from gateway.tenancy.keys import create_api_key
from gateway.tenancy.loader import DatabaseTenantLoader
from gateway.tenancy.resolver import TenantResolver
from tests.routing.helpers import FakeVault, FixedBreakers, FixedHealth, platform_keys

MakeOrg = Callable[..., Organization]
PROVIDERS = ("ollama", "groq", "together", "openai", "anthropic")
BALANCED = {"cost": 40, "quality": 35, "latency": 25}


def make_router(*, sandbox: bool = False) -> Router:
    return Router(
        Catalog(),
        providers=PROVIDERS,
        platform=platform_keys(*PROVIDERS),
        secrets=FakeVault(),
        health=FixedHealth(),
        breakers=FixedBreakers(),
        sandbox_mode=sandbox,
    )


@pytest.fixture
def routing(engine: Engine, async_redis: aioredis.Redis) -> RoutingSettings:
    return RoutingSettings(engine, async_redis, make_router())


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.ADMIN) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


def draft(**fields: object) -> RoutingDraft:
    values: dict[str, object] = {
        "strategy": "balanced",
        "weights": BALANCED,
        "prefer_local": False,
        "baseline_model": "gpt-4o",
    }
    return RoutingDraft(**{**values, **fields})  # type: ignore[arg-type]


# -- weights (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            {"cost": 0.4, "quality": 0.35, "latency": 0.25},
            {"cost": 40, "quality": 35, "latency": 25},
        ),
        ({"cost": 1, "quality": 1, "latency": 1}, {"cost": 34, "quality": 33, "latency": 33}),
        ({"cost": 2.0, "quality": 0, "latency": 0}, {"cost": 100, "quality": 0, "latency": 0}),
        ({}, {"cost": 40, "quality": 35, "latency": 25}),
        ({"cost": -5, "quality": 3, "latency": 1}, {"cost": 0, "quality": 75, "latency": 25}),
    ],
)
def test_stored_weights_show_as_percentages_summing_to_100(
    weights: dict[str, float], expected: dict[str, int]
) -> None:
    assert percent_weights(weights) == expected
    assert sum(percent_weights(weights).values()) == 100


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("cost", 60, {"cost": 60, "quality": 23, "latency": 17}),
        ("quality", 100, {"cost": 0, "quality": 100, "latency": 0}),
        ("latency", 0, {"cost": 53, "quality": 47, "latency": 0}),
        ("cost", 150, {"cost": 100, "quality": 0, "latency": 0}),
    ],
)
def test_moving_one_slider_rebalances_the_others_to_keep_100(
    name: str, value: int, expected: dict[str, int]
) -> None:
    moved = rebalance(BALANCED, name, value)
    assert moved == expected
    assert sum(moved.values()) == 100


def test_rebalancing_from_one_full_weight_splits_the_rest_evenly() -> None:
    assert rebalance({"cost": 100, "quality": 0, "latency": 0}, "cost", 50) == {
        "cost": 50,
        "quality": 25,
        "latency": 25,
    }


@pytest.mark.parametrize(
    "weights",
    [
        {"cost": 50, "quality": 30, "latency": 30},
        {"cost": 50, "quality": 50},
        {"cost": 120, "quality": -10, "latency": -10},
        {"cost": "50", "quality": 25, "latency": 25},
        {"cost": True, "quality": 49, "latency": 50},
    ],
)
def test_weights_that_do_not_sum_to_100_or_are_not_percentages_are_refused(
    weights: dict[str, object],
) -> None:
    with pytest.raises(ValueError):
        validate_weights(weights)


def test_valid_weights_become_fractions() -> None:
    assert validate_weights({"cost": 70, "quality": 20, "latency": 10}) == {
        "cost": 0.7,
        "quality": 0.2,
        "latency": 0.1,
    }


# -- reading and saving -----------------------------------------------------------------


async def test_the_view_offers_the_plans_providers_and_the_saved_settings(
    engine: Engine, async_redis: aioredis.Redis, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    free = make_org("Tiny", plan="free")
    service = RoutingSettings(engine, async_redis, make_router(sandbox=True))

    view = await service.view(actor(free, MemberRole.VIEWER))

    assert view.providers == ("ollama", "groq")  # Free: two providers, catalogue order
    assert {m.provider for m in view.models} == {"ollama", "groq"}
    assert "gpt-4o" in view.baseline_models
    assert view.saved.strategy == "balanced" and not view.custom_allowed
    assert percent_weights(view.saved.weights) == BALANCED
    assert view.presets["cost"] == {"cost": 70, "quality": 20, "latency": 10}


async def test_saving_stores_the_settings(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    admin = actor(org)

    await routing.save(
        admin,
        draft(
            strategy="cost",
            weights={"cost": 70, "quality": 20, "latency": 10},
            prefer_local=True,
            baseline_model="claude-sonnet-4",
            allowed_providers=("groq", "openai"),
            allowed_models=("gpt-4o-mini",),
        ),
    )

    saved = (await routing.view(actor(org, MemberRole.VIEWER))).saved
    assert saved.strategy == "cost" and saved.prefer_local
    assert saved.weights == {"cost": 0.7, "quality": 0.2, "latency": 0.1}
    assert saved.baseline_model == "claude-sonnet-4"
    assert saved.allowed_providers == ("groq", "openai")
    assert saved.allowed_models == ("gpt-4o-mini",)


async def test_allowing_every_provider_stores_no_allow_list(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    await routing.save(actor(org), draft(allowed_providers=PROVIDERS))
    assert (await routing.view(actor(org))).saved.allowed_providers is None


@pytest.mark.parametrize(
    ("plan", "changes", "message"),
    [
        ("free", {"allowed_providers": ("openai",)}, "not available on your plan"),
        ("free", {"allowed_models": ("gpt-4o",)}, "not available on your plan"),
        ("growth", {"allowed_providers": ("groq", "mistral")}, "not available on your plan"),
        (
            "growth",
            {"allowed_providers": ("groq",), "allowed_models": ("gpt-4o",)},
            "not available on your plan",
        ),
        ("growth", {"allowed_providers": ()}, "at least one"),
        ("growth", {"strategy": "custom"}, "Scale plan"),
        ("growth", {"strategy": "fastest"}, "unknown strategy"),
        ("growth", {"weights": {"cost": 50, "quality": 50, "latency": 50}}, "add up to 100"),
        ("growth", {"baseline_model": "gpt-9"}, "unknown baseline model"),
    ],
)
async def test_settings_outside_the_plan_or_invalid_are_refused_and_nothing_changes(
    engine: Engine,
    async_redis: aioredis.Redis,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    plan: str,
    changes: dict[str, object],
    message: str,
) -> None:
    org = make_org("Acme", plan=plan)
    service = RoutingSettings(engine, async_redis, make_router(sandbox=True))

    with pytest.raises(ValueError, match=message):
        await service.save(actor(org), draft(**{"strategy": "cost", **changes}))

    assert (await service.view(actor(org))).saved.strategy == "balanced"


async def test_custom_weights_are_saved_on_plans_with_custom_routing(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Big", plan="scale")
    custom = {"cost": 10, "quality": 10, "latency": 80}
    await routing.save(actor(org), draft(strategy="custom", weights=custom))
    saved = (await routing.view(actor(org))).saved
    assert saved.strategy == "custom" and percent_weights(saved.weights) == custom


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.VIEWER])
async def test_members_and_viewers_may_not_save(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg, role: MemberRole
) -> None:
    org = make_org("Acme", plan="growth")
    with pytest.raises(PermissionDenied):
        await routing.save(actor(org, role), draft(strategy="cost"))
    assert (await routing.view(actor(org))).saved.strategy == "balanced"


async def test_owners_may_save(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    await routing.save(actor(org, MemberRole.OWNER), draft(strategy="latency"))
    assert (await routing.view(actor(org))).saved.strategy == "latency"


async def test_saving_changes_only_the_actors_organization(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    mine, theirs = make_org("Mine", plan="growth"), make_org("Theirs", plan="growth")
    await routing.save(actor(mine), draft(strategy="quality"))
    assert (await routing.view(actor(theirs))).saved.strategy == "balanced"


async def test_an_unknown_organization_is_refused(routing: RoutingSettings) -> None:
    stranger = Actor(uuid.uuid4(), uuid.uuid4(), MemberRole.OWNER)
    with pytest.raises(LookupError):
        await routing.save(stranger, draft(strategy="cost"))
    with pytest.raises(LookupError):
        await routing.view(stranger)


async def test_saved_settings_reach_a_freshly_resolved_tenant_context(
    engine: Engine,
    async_redis: aioredis.Redis,
    routing: RoutingSettings,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme", plan="growth")
    with tenant_session(engine, org.id) as session:
        _, api_key = create_api_key(
            session, org=org, name="Backend", environment=KeyEnvironment.PROD
        )
    clock = [0.0]
    resolver = TenantResolver(async_redis, DatabaseTenantLoader(engine), clock=lambda: clock[0])
    before = await resolver.resolve(f"Bearer {api_key}")
    assert before.routing_strategy == "balanced"

    await routing.save(actor(org), draft(strategy="cost", allowed_providers=("groq",)))

    # Another process (nothing cached locally) sees it at once; this one after its
    # one-second local entry expires. Without the Redis invalidation both would keep
    # the old context for the Redis entry's five minutes.
    other = TenantResolver(async_redis, DatabaseTenantLoader(engine))
    fresh = await other.resolve(f"Bearer {api_key}")
    assert fresh.routing_strategy == "cost" and fresh.allowed_providers == ("groq",)
    clock[0] += 1.5
    assert (await resolver.resolve(f"Bearer {api_key}")).routing_strategy == "cost"


# -- preview ----------------------------------------------------------------------------


async def test_the_preview_routes_the_samples_under_the_draft_without_saving(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    only_groq = draft(strategy="quality", allowed_providers=("groq",))

    rows = await routing.preview(actor(org, MemberRole.VIEWER), only_groq, "What is 2 + 2?")

    assert [r.label for r in rows] == [*(label for label, _ in SAMPLE_PROMPTS), "Your prompt"]
    assert all(r.error == "" for r in rows)
    assert all(r.strategy == "quality" for r in rows)
    assert all(r.chosen.startswith("groq/") for r in rows)
    assert all(f.startswith("groq/") for r in rows for f in r.fallbacks)
    assert {r.complexity for r in rows} >= {"simple", "complex"}
    assert (await routing.view(actor(org))).saved.strategy == "balanced"
    assert (await routing.view(actor(org))).saved.allowed_providers is None


async def test_the_preview_follows_the_drafts_strategy(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    admin = actor(org)

    cheap = await routing.preview(admin, draft(strategy="cost"))
    best = await routing.preview(admin, draft(strategy="quality"))

    catalog = Catalog()
    for cheap_row, best_row in zip(cheap, best, strict=True):
        low = catalog.get(*cheap_row.chosen.split("/", 1))
        high = catalog.get(*best_row.chosen.split("/", 1))
        assert low is not None and high is not None
        assert low.input_per_million < high.input_per_million
        assert low.quality_tier <= high.quality_tier
    assert cheap[0].strategy == "cost" and best[0].strategy == "quality"


async def test_a_preview_that_finds_no_model_says_why(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    small_context = draft(allowed_models=("gemma2-9b-it",))  # 8,192 tokens
    rows = await routing.preview(actor(org), small_context, "word " * 10_000)
    assert rows[-1].chosen == "" and rows[-1].error


async def test_an_invalid_draft_is_refused_by_the_preview(
    routing: RoutingSettings, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    with pytest.raises(ValueError, match="add up to 100"):
        await routing.preview(actor(org), draft(weights={"cost": 10, "quality": 10, "latency": 10}))
