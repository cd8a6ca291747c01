"""What the cache may do for a request: plan tiers, tenant settings, client headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.billing.plans import CacheTier
from gateway.cache.policy import bypass_reason, semantic_query, settings_for, storable
from gateway.tenancy.context import TenantContext
from tests.cache.conftest import chat, completion


@pytest.mark.parametrize(
    ("plan", "tier"),
    [
        ("free", CacheTier.NONE),
        ("starter", CacheTier.EXACT),
        ("growth", CacheTier.SEMANTIC),
        ("scale", CacheTier.SEMANTIC),
        ("enterprise", CacheTier.SEMANTIC),
    ],
)
def test_the_plan_sets_the_tier(
    make_tenant: Callable[..., TenantContext], plan: str, tier: CacheTier
) -> None:
    assert settings_for(make_tenant(plan)).tier is tier


def test_a_tenant_can_switch_the_cache_off(make_tenant: Callable[..., TenantContext]) -> None:
    settings = settings_for(make_tenant("growth", cache_enabled=False))
    assert bypass_reason(settings, chat("hi")) == "disabled"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"cache-control": "no-cache"}, "client"),
        ({"cache-control": "max-age=0, no-store"}, "client"),
        ({"x-routerai-cache": "bypass"}, "client"),
        ({"cache-control": "max-age=60"}, None),
        ({}, None),
    ],
)
def test_clients_can_opt_out(
    make_tenant: Callable[..., TenantContext], headers: dict[str, str], reason: str | None
) -> None:
    assert bypass_reason(settings_for(make_tenant()), chat("hi"), headers) == reason


@pytest.mark.parametrize(
    ("params", "limit", "reason"),
    [
        ({"temperature": 0.7}, 0.7, None),
        ({"temperature": 0.71}, 0.7, "temperature"),
        ({}, 0.7, "temperature"),  # the providers' default temperature is 1.0
        ({}, 1.0, None),
    ],
)
def test_the_temperature_limit(
    make_tenant: Callable[..., TenantContext],
    params: dict[str, Any],
    limit: float,
    reason: str | None,
) -> None:
    body = chat("hi")
    del body["temperature"]
    settings = settings_for(make_tenant(cache_max_temperature=limit))
    assert bypass_reason(settings, {**body, **params}) == reason


def test_client_tool_results_need_the_tenants_opt_in(
    make_tenant: Callable[..., TenantContext],
) -> None:
    body = chat("and now?", history=[{"role": "tool", "tool_call_id": "c", "content": "7"}])
    assert bypass_reason(settings_for(make_tenant()), body) == "tool_results"
    assert bypass_reason(settings_for(make_tenant(cache_tool_results=True)), body) is None


def test_semantic_queries_need_the_semantic_tier_and_a_short_prompt(
    make_tenant: Callable[..., TenantContext],
) -> None:
    assert semantic_query(settings_for(make_tenant("growth")), "hi") == "hi"
    assert semantic_query(settings_for(make_tenant("starter")), "hi") is None
    assert semantic_query(settings_for(make_tenant("growth")), "x" * 5000) is None


@pytest.mark.parametrize(
    ("response", "ok"),
    [
        (completion("fine"), True),
        (completion("", finish_reason="tool_calls"), True),
        (completion("cut", finish_reason="length"), False),
        (completion("filtered", finish_reason="content_filter"), False),
        ({"error": {"message": "boom"}}, False),
        ({"choices": []}, False),
        ("not an object", False),
    ],
)
def test_only_successful_complete_answers_are_stored(response: Any, ok: bool) -> None:
    assert storable(response) is ok
