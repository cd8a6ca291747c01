"""Eligibility: credentials, plan limits, allow-lists, capabilities, context."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.pricing.catalog import Capability, ModelKind
from gateway.routing.eligibility import (
    CredentialSource,
    Eligibility,
    ProviderAccess,
    Stage,
    credential_key,
    eligible,
    provider_access,
)
from gateway.routing.requirements import Needs
from tests.routing.helpers import FIXED, ORG, PROVIDERS, tenant

BYOK, PLATFORM = CredentialSource.BYOK, CredentialSource.PLATFORM
PLAIN = Needs(frozenset(), 100, None)


def access(
    plan: str = "growth", *, sandbox: bool = False, keys: tuple[str, ...] = PROVIDERS, **t: Any
) -> ProviderAccess:
    return provider_access(
        tenant(plan, **t), registered=PROVIDERS, platform_keys=keys, sandbox_mode=sandbox
    )


def labels(found: Eligibility) -> list[str]:
    return [o.label for o in found.options]


def test_platform_keys_only_from_growth_up() -> None:
    for plan in ("free", "starter"):
        assert access(plan).sources == {}
        assert access(plan).without_credential == PROVIDERS
    for plan in ("growth", "scale", "enterprise"):
        assert access(plan).sources == dict.fromkeys(PROVIDERS, PLATFORM)


def test_sandbox_mode_lends_platform_keys_to_every_plan() -> None:
    assert access("starter", sandbox=True).sources == dict.fromkeys(PROVIDERS, PLATFORM)


def test_byok_comes_first_and_wins_over_the_platform_key() -> None:
    sources = access("growth", byok_providers=("openai",)).sources
    assert next(iter(sources)) == "openai" and sources["openai"] is BYOK
    assert all(sources[p] is PLATFORM for p in PROVIDERS if p != "openai")
    assert access("starter", byok_providers=("anthropic", "groq")).sources == {
        "groq": BYOK,
        "anthropic": BYOK,
    }


def test_a_provider_without_platform_key_needs_byok() -> None:
    sources = access("growth", keys=("openai",)).sources
    assert sources == {"openai": PLATFORM}


@pytest.mark.parametrize(
    ("byok", "sandbox", "expected"),
    [
        ((), True, ["ollama", "groq"]),  # catalogue order
        (("anthropic",), True, ["anthropic", "ollama"]),  # BYOK first
        (("openai", "anthropic", "groq"), False, ["groq", "openai"]),  # BYOK, catalogue order
        (("together",), False, ["together"]),  # no platform keys on Free
    ],
)
def test_free_gets_two_providers_deterministically(
    byok: tuple[str, ...], sandbox: bool, expected: list[str]
) -> None:
    found = access("free", sandbox=sandbox, byok_providers=byok)
    assert list(found.sources) == expected
    assert set(found.over_plan) | set(found.sources) | set(found.without_credential) == set(
        PROVIDERS
    )


def test_free_limit_applies_after_the_allow_list() -> None:
    found = access("free", sandbox=True, allowed_providers=("openai", "anthropic", "together"))
    assert list(found.sources) == ["together", "openai"]


def test_auto_covers_every_chat_model_in_catalogue_order() -> None:
    found = eligible(FIXED, tenant(), "auto", ModelKind.CHAT, PLAIN, access(), PROVIDERS)
    assert labels(found) == [
        "ollama/tiny",
        "groq/fast-small",
        "openai/mid",
        "together/large",
        "anthropic/big",
    ]
    assert all(o.credential_key == f"{o.provider}:platform" for o in found.options)


def test_a_concrete_name_is_honoured_with_its_aliases() -> None:
    found = eligible(FIXED, tenant(), "small", ModelKind.CHAT, PLAIN, access(), PROVIDERS)
    assert labels(found) == ["groq/fast-small", "together/large"]
    found = eligible(FIXED, tenant(), "MID", ModelKind.CHAT, PLAIN, access(), PROVIDERS)
    assert labels(found) == ["openai/mid"]


def test_kinds_do_not_mix() -> None:
    assert eligible(FIXED, tenant(), "embed", ModelKind.CHAT, PLAIN, access(), PROVIDERS).stage is (
        Stage.UNKNOWN_MODEL
    )
    embed = eligible(FIXED, tenant(), "embed", ModelKind.EMBEDDING, PLAIN, access(), PROVIDERS)
    assert labels(embed) == ["openai/embed"]
    assert (
        eligible(FIXED, tenant(), "auto", ModelKind.EMBEDDING, PLAIN, access(), PROVIDERS).stage
        is Stage.UNKNOWN_MODEL
    )


def test_byok_candidates_carry_the_org_credential_key() -> None:
    t = tenant(byok_providers=("openai",))
    acc = provider_access(t, registered=PROVIDERS, platform_keys=PROVIDERS, sandbox_mode=False)
    found = eligible(FIXED, t, "mid", ModelKind.CHAT, PLAIN, acc, PROVIDERS)
    (option,) = found.options
    assert option.source is BYOK and option.credential_key == f"openai:{ORG}"
    assert credential_key("openai", PLATFORM, ORG) == "openai:platform"


@pytest.mark.parametrize(
    ("fields", "name", "stage"),
    [
        ({}, "gpt-9", Stage.UNKNOWN_MODEL),
        ({"allowed_models": ("tiny",)}, "mid", Stage.NOT_ALLOWED),
        ({"allowed_providers": ("groq",)}, "mid", Stage.NOT_ALLOWED),
    ],
)
def test_what_the_tenant_may_not_name(fields: dict[str, Any], name: str, stage: Stage) -> None:
    t = tenant(**fields)
    acc = provider_access(t, registered=PROVIDERS, platform_keys=PROVIDERS, sandbox_mode=False)
    assert eligible(FIXED, t, name, ModelKind.CHAT, PLAIN, acc, PROVIDERS).stage is stage


def test_allowed_models_match_aliases_and_restrict_auto() -> None:
    t = tenant(allowed_models=("tiny-local", "mid"))
    acc = provider_access(t, registered=PROVIDERS, platform_keys=PROVIDERS, sandbox_mode=False)
    found = eligible(FIXED, t, "auto", ModelKind.CHAT, PLAIN, acc, PROVIDERS)
    assert labels(found) == ["ollama/tiny", "openai/mid"]


def test_no_credential_and_plan_limit_are_told_apart() -> None:
    t = tenant("starter")
    acc = provider_access(t, registered=PROVIDERS, platform_keys=PROVIDERS, sandbox_mode=False)
    assert eligible(FIXED, t, "mid", ModelKind.CHAT, PLAIN, acc, PROVIDERS).stage is (
        Stage.NO_CREDENTIAL
    )
    t = tenant("free")
    acc = provider_access(t, registered=PROVIDERS, platform_keys=PROVIDERS, sandbox_mode=True)
    assert eligible(FIXED, t, "big", ModelKind.CHAT, PLAIN, acc, PROVIDERS).stage is (
        Stage.PLAN_LIMIT
    )
    assert labels(eligible(FIXED, t, "auto", ModelKind.CHAT, PLAIN, acc, PROVIDERS)) == [
        "ollama/tiny",
        "groq/fast-small",
    ]


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        (
            {Capability.TOOLS},
            ["ollama/tiny", "groq/fast-small", "openai/mid", "together/large", "anthropic/big"],
        ),
        ({Capability.VISION}, ["openai/mid", "anthropic/big"]),
        (
            {Capability.VISION, Capability.TOOLS, Capability.JSON_MODE},
            ["openai/mid", "anthropic/big"],
        ),
    ],
)
def test_capabilities_filter(capabilities: set[Capability], expected: list[str]) -> None:
    needs = Needs(frozenset(capabilities), 100, None)
    assert labels(
        eligible(FIXED, tenant(), "auto", ModelKind.CHAT, needs, access(), PROVIDERS)
    ) == (expected)


def test_a_concrete_model_without_the_capability_is_refused() -> None:
    needs = Needs(frozenset({Capability.VISION}), 100, None)
    found = eligible(FIXED, tenant(), "small", ModelKind.CHAT, needs, access(), PROVIDERS)
    assert found.stage is Stage.CAPABILITY and found.missing == {Capability.VISION}


def test_context_window_must_hold_prompt_and_output() -> None:
    big_prompt = Needs(frozenset(), 30_000, 4_000)
    found = eligible(FIXED, tenant(), "small", ModelKind.CHAT, big_prompt, access(), PROVIDERS)
    assert labels(found) == ["groq/fast-small"]  # together/large has 32,768 tokens
    assert [o.output_tokens for o in found.options] == [4_000]
    huge = Needs(frozenset(), 200_000, None)
    found = eligible(FIXED, tenant(), "small", ModelKind.CHAT, huge, access(), PROVIDERS)
    assert found.stage is Stage.CONTEXT and found.closest is not None
    assert found.closest.id == "fast-small"


def test_unregistered_providers_are_unknown() -> None:
    found = eligible(FIXED, tenant(), "big", ModelKind.CHAT, PLAIN, access(), ("openai",))
    assert found.stage is Stage.UNKNOWN_MODEL
