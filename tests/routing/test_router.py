"""`Router.plan` end to end with fixed health, breakers and keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.errors import InvalidRequest, NotFound, PermissionDenied, UpstreamUnavailable
from gateway.pricing.catalog import Catalog, ModelKind
from gateway.routing.classifier import Complexity
from gateway.routing.eligibility import CredentialSource
from gateway.routing.router import Router
from tests.routing.helpers import (
    ALL,
    FIXED,
    NOW,
    ORG,
    PROVIDERS,
    FakeVault,
    FixedBreakers,
    FixedHealth,
    body,
    chat,
    platform_keys,
    tenant,
)

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


def router(
    *,
    breakers: FixedBreakers | None = None,
    vault: FakeVault | None = None,
    health: FixedHealth | None = None,
    sandbox: bool = False,
    keys: tuple[str, ...] = PROVIDERS,
) -> Router:
    return Router(
        FIXED,
        providers=PROVIDERS,
        platform=platform_keys(*keys),
        secrets=vault or FakeVault(),
        health=health or FixedHealth(),
        breakers=breakers or FixedBreakers(),
        sandbox_mode=sandbox,
        clock=lambda: NOW,
    )


def labels(plan: Any) -> list[str]:
    return [c.label for c in plan.candidates]


async def test_auto_chooses_across_every_eligible_model() -> None:
    plan = await router().plan(tenant(routing_strategy="quality"), body(), 20)
    assert plan.chosen.label == "anthropic/big"
    assert set(labels(plan)) == {
        "ollama/tiny",
        "groq/fast-small",
        "openai/mid",
        "together/large",
        "anthropic/big",
    }
    assert plan.decision.header_value() == "class=simple;strategy=quality;chosen=anthropic/big"


async def test_a_concrete_model_is_honoured() -> None:
    plan = await router().plan(tenant(routing_strategy="cost"), body(model="big"), 20)
    assert labels(plan) == ["anthropic/big"]
    plan = await router().plan(tenant(routing_strategy="latency"), body(model="small"), 20)
    assert labels(plan) == ["groq/fast-small", "together/large"]
    plan = await router().plan(tenant(), body(model="auto"), 20, requested_model="mid")
    assert labels(plan) == ["openai/mid"]


async def test_platform_candidates_carry_the_platform_key_and_hide_it() -> None:
    plan = await router().plan(tenant(), body(model="mid"), 20)
    chosen = plan.chosen
    assert chosen.credential_source is CredentialSource.PLATFORM
    assert chosen.credential_key == "openai:platform"
    assert chosen.api_key == "sk-platform-openai-0000000000"
    assert "sk-platform" not in repr(chosen) and "sk-platform" not in repr(plan)


async def test_byok_candidates_use_the_tenants_key() -> None:
    vault = FakeVault({(ORG, "openai"): "sk-tenant-own-key-123456789"})
    t = tenant("starter", byok_providers=("openai",))
    plan = await router(vault=vault).plan(t, body(), 20)
    assert labels(plan) == ["openai/mid"]  # Starter: no platform keys
    assert plan.chosen.credential_source is CredentialSource.BYOK
    assert plan.chosen.credential_key == f"openai:{ORG}"
    assert plan.chosen.api_key == "sk-tenant-own-key-123456789"
    assert "sk-tenant-own-key" not in repr(plan)


async def test_a_byok_key_that_vanished_drops_its_candidate() -> None:
    t = tenant("growth", byok_providers=("openai",))
    plan = await router().plan(t, body(), 20)
    assert "openai/mid" not in labels(plan)
    with pytest.raises(PermissionDenied) as caught:
        await router().plan(tenant("starter", byok_providers=("openai",)), body(), 20)
    assert caught.value.code == "no_provider_credential"


async def test_open_breakers_are_skipped() -> None:
    breakers = FixedBreakers({"anthropic:platform", "together:platform"})
    plan = await router(breakers=breakers).plan(tenant(routing_strategy="quality"), body(), 20)
    assert plan.chosen.label == "openai/mid"
    assert "anthropic/big" not in labels(plan)
    assert breakers.asked[0] == {f"{p}:platform" for p in PROVIDERS}


async def test_a_tenants_open_breaker_leaves_the_platform_key_to_others() -> None:
    breakers = FixedBreakers({f"openai:{ORG}"})
    byok_tenant = tenant("growth", byok_providers=("openai",))
    vault = FakeVault({(ORG, "openai"): "sk-tenant-own-key-123456789"})
    with pytest.raises(UpstreamUnavailable):
        await router(breakers=breakers, vault=vault).plan(byok_tenant, body(model="mid"), 20)
    other = await router(breakers=breakers).plan(
        tenant(org_id="another-org"), body(model="mid"), 20
    )
    assert other.chosen.credential_key == "openai:platform"


async def test_every_breaker_open_is_503() -> None:
    breakers = FixedBreakers({"groq:platform", "together:platform"})
    with pytest.raises(UpstreamUnavailable) as caught:
        await router(breakers=breakers).plan(tenant(), body(model="small"), 20)
    assert caught.value.status == 503


@pytest.mark.parametrize(
    ("t", "request_body", "error", "code"),
    [
        (tenant(), body(model="gpt-9"), NotFound, "model_not_found"),
        (tenant(allowed_models=("mid",)), body(model="big"), NotFound, "model_not_found"),
        (tenant("starter"), body(), PermissionDenied, "no_provider_credential"),
        (tenant("free"), body(model="big"), PermissionDenied, "provider_not_in_plan"),
        (
            tenant(),
            body(model="small", messages=[{"role": "user", "content": [IMAGE]}]),
            InvalidRequest,
            "unsupported_capability",
        ),
        (tenant(), body(model="mid", max_tokens=9_000), InvalidRequest, "context_length_exceeded"),
    ],
)
async def test_refusals(
    t: Any, request_body: dict[str, Any], error: type[Exception], code: str
) -> None:
    sandbox = t.plan == "free"
    with pytest.raises(error) as caught:
        await router(sandbox=sandbox).plan(t, request_body, 20)
    assert getattr(caught.value, "code", None) == code


async def test_capabilities_narrow_auto() -> None:
    vision = body(messages=[{"role": "user", "content": [IMAGE]}])
    plan = await router().plan(tenant(routing_strategy="cost"), vision, 20)
    assert labels(plan) == ["openai/mid", "anthropic/big"]
    assert plan.decision.scores[0].target == "openai/mid"


async def test_free_plan_routes_within_its_two_providers() -> None:
    plan = await router(sandbox=True).plan(tenant("free", routing_strategy="quality"), body(), 20)
    assert sorted(labels(plan)) == ["groq/fast-small", "ollama/tiny"]


async def test_platform_keys_need_growth_outside_the_sandbox() -> None:
    with pytest.raises(PermissionDenied):
        await router().plan(tenant("starter"), body(), 20)
    assert (await router(sandbox=True).plan(tenant("starter"), body(), 20)).candidates
    assert (await router().plan(tenant("growth"), body(), 20)).candidates


async def test_prefer_local_for_simple_requests() -> None:
    t = tenant(routing_strategy="quality", prefer_local=True)
    plan = await router().plan(t, body(), 20)
    assert plan.chosen.label == "ollama/tiny" and plan.decision.local_first
    hard = body("Prove that the integral of x^2 from 0 to 1 equals 1/3, step by step.")
    plan = await router().plan(t, hard, 20)
    assert plan.decision.complexity is Complexity.COMPLEX
    assert plan.chosen.label == "anthropic/big" and not plan.decision.local_first


async def test_output_reserve_covers_every_candidate_and_choice() -> None:
    plan = await router().plan(tenant(), body(model="small", n=2, max_tokens=4_000), 30_000)
    assert labels(plan) == ["groq/fast-small"]  # together/large cannot hold 30,000 + 4,000
    assert plan.output_reserve == 4_000 * 2
    plan = await router().plan(tenant(), body(model="small"), 30_000)
    assert labels(plan) == ["groq/fast-small", "together/large"]
    assert plan.output_reserve == 8_000  # without max_tokens: the largest output possible


async def test_the_decision_serialises() -> None:
    plan = await router().plan(tenant(routing_strategy="cost"), body(model="small"), 20)
    decision = plan.decision
    assert decision.header_value() == "class=simple;strategy=cost;chosen=groq/fast-small"
    logged = json.loads(decision.to_json())
    assert logged["class"] == "simple" and logged["requested"] == "small"
    assert [c["target"] for c in logged["candidates"]] == ["groq/fast-small", "together/large"]
    assert logged["candidates"][0]["source"] == "platform"
    assert logged["candidates"][0]["score"] >= logged["candidates"][1]["score"]
    after = decision.served_by("together/large", attempts=2)
    assert after.header_value().endswith("chosen=together/large")
    assert json.loads(after.to_json())["attempts"] == 2


async def test_custom_strategy_needs_the_plan() -> None:
    weights = {"cost": 0, "quality": 1, "latency": 0}
    scale = tenant("scale", routing_strategy="custom", routing_weights=weights)
    plan = await router().plan(scale, body(), 20)
    assert plan.decision.strategy == "custom" and plan.chosen.label == "anthropic/big"
    growth = tenant("growth", routing_strategy="custom", routing_weights=weights)
    assert (await router().plan(growth, body(), 20)).decision.strategy == "balanced"


async def test_plans_are_deterministic() -> None:
    plans = [await router().plan(tenant(), body(), 20, seed="req-1") for _ in range(5)]
    assert len({tuple(labels(p)) for p in plans}) == 1
    assert len({p.decision.to_json() for p in plans}) == 1


async def test_embeddings_route_without_classification() -> None:
    plan = await router().plan(
        tenant(), {"model": "embed", "input": "hi"}, 5, kind=ModelKind.EMBEDDING
    )
    assert labels(plan) == ["openai/embed"] and plan.output_reserve == 0


def test_available_models_follow_access() -> None:
    r = router(sandbox=True)
    assert {m.id for m in r.available_models(tenant("free"))} == {"tiny", "fast-small"}
    assert len(r.available_models(tenant("growth"))) == len(FIXED.models)
    assert [m.id for m in r.available_models(tenant(allowed_models=("mid",)))] == ["mid"]


def test_the_prompt_is_counted_with_the_named_models_encoding() -> None:
    r = Router(
        Catalog(),
        providers=PROVIDERS,
        platform=platform_keys(),
        secrets=FakeVault(),
        health=FixedHealth(),
        breakers=FixedBreakers(),
    )
    assert r.tokenizer_for("llama-3.1-8b") == "cl100k_base"
    assert r.tokenizer_for("gpt-4o") == "o200k_base"
    assert r.tokenizer_for("auto") == r.tokenizer_for("nope") == "o200k_base"


async def test_a_draft_holds_the_candidates_its_plan_orders() -> None:
    planner = router()
    draft = await planner.draft(tenant(routing_strategy="cost"), body(model="small"), 20)
    plan = draft.plan()
    assert {c.label for c in draft.candidates} == set(labels(plan))
    assert labels(plan) == ["groq/fast-small", "together/large"]
    # More options than attempts: the draft ranks to pick the best ones it may reserve for.
    best = labels(await planner.plan(tenant(), body(), 20))
    limited = await planner.draft(tenant(), body(), 20, limit=2)
    assert [c.label for c in limited.candidates] == best[:2]
    assert labels(limited.plan()) == best[:2]


async def test_eligibility_is_remembered_per_tenant_until_the_catalogue_changes() -> None:
    planner, growth = router(), tenant()
    assert labels(await planner.plan(growth, body(model="mid"), 20)) == ["openai/mid"]
    with pytest.raises(NotFound):
        await planner.plan(growth, body(model="local-mid"), 20)
    rediscovered = chat("ollama", "local-mid", 0, 0, 3, ALL, "mid")
    planner.use_catalog(Catalog((*FIXED.models, rediscovered)))
    assert set(labels(await planner.plan(growth, body(model="mid"), 20))) == {
        "openai/mid",
        "ollama/local-mid",
    }
    assert labels(await planner.plan(growth, body(model="local-mid"), 20)) == ["ollama/local-mid"]
