"""Scoring on the fixed catalogue: each strategy picks what its weights say."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gateway.db.enums import RoutingStrategy
from gateway.health.ewma import ProviderHealth
from gateway.pricing.catalog import ModelKind
from gateway.routing.classifier import Complexity
from gateway.routing.eligibility import Eligible, eligible, provider_access
from gateway.routing.requirements import Needs
from gateway.routing.scoring import (
    STRATEGY_WEIGHTS,
    Scored,
    Weights,
    quality_fit,
    rank,
    strategy_weights,
)
from tests.routing.helpers import FIXED, LATENCY_MS, NOW, PROVIDERS, healthy, tenant

S, M, C = Complexity.SIMPLE, Complexity.MEDIUM, Complexity.COMPLEX


def options(name: str = "auto") -> tuple[Eligible, ...]:
    t = tenant()
    acc = provider_access(t, registered=PROVIDERS, platform_keys=PROVIDERS, sandbox_mode=False)
    needs = Needs(frozenset(), 800, None)
    return eligible(FIXED, t, name, ModelKind.CHAT, needs, acc, PROVIDERS).options


def ranked(
    complexity: Complexity,
    weights: Weights,
    *,
    name: str = "auto",
    health: dict[str, ProviderHealth] | None = None,
    prefer_local: bool = False,
    seed: str = "",
) -> list[Scored]:
    return rank(
        options(name),
        complexity=complexity,
        weights=weights,
        prompt_tokens=800,
        health=healthy() if health is None else health,
        now=NOW,
        prefer_local=prefer_local,
        seed=seed,
    )


def order(scored: list[Scored]) -> list[str]:
    return [s.option.label for s in scored]


def first(complexity: Complexity, strategy: RoutingStrategy, **kw: Any) -> str:
    return order(ranked(complexity, STRATEGY_WEIGHTS[strategy], **kw))[0]


@pytest.mark.parametrize(
    ("complexity", "strategy", "expected"),
    [
        # cost: the cheapest model that meets the class's minimum tier
        (S, RoutingStrategy.COST, "ollama/tiny"),
        (M, RoutingStrategy.COST, "groq/fast-small"),
        (C, RoutingStrategy.COST, "openai/mid"),
        # quality: the highest tier, whatever the class
        (S, RoutingStrategy.QUALITY, "anthropic/big"),
        (M, RoutingStrategy.QUALITY, "anthropic/big"),
        (C, RoutingStrategy.QUALITY, "anthropic/big"),
        # latency: the fastest provider that meets the tier
        (S, RoutingStrategy.LATENCY, "groq/fast-small"),
        (M, RoutingStrategy.LATENCY, "groq/fast-small"),
        (C, RoutingStrategy.LATENCY, "openai/mid"),
        # balanced: free and good enough for simple; a strong, fairly priced model for complex
        (S, RoutingStrategy.BALANCED, "ollama/tiny"),
        (M, RoutingStrategy.BALANCED, "groq/fast-small"),
        (C, RoutingStrategy.BALANCED, "together/large"),
    ],
)
def test_each_strategy_picks_what_its_weights_say(
    complexity: Complexity, strategy: RoutingStrategy, expected: str
) -> None:
    assert first(complexity, strategy) == expected


def test_balanced_weights_are_the_documented_ones() -> None:
    assert STRATEGY_WEIGHTS[RoutingStrategy.BALANCED] == Weights(0.40, 0.35, 0.25)


def test_single_dimension_weights_order_by_that_dimension() -> None:
    by_cost = ranked(M, Weights(1, 0, 0))
    eligible_ones = [s for s in by_cost if s.meets_tier]
    assert [s.cost for s in eligible_ones] == sorted((s.cost for s in eligible_ones), reverse=True)
    assert order(ranked(M, Weights(0, 0, 1)))[:3] == [
        "groq/fast-small",
        "openai/mid",
        "together/large",
    ]
    assert order(ranked(C, Weights(0, 1, 0)))[:3] == [
        "anthropic/big",
        "together/large",
        "openai/mid",
    ]


def test_scores_are_weighted_sums() -> None:
    weights = Weights(0.5, 0.3, 0.2)
    for s in ranked(M, weights):
        expected = 0.5 * s.cost + 0.3 * s.quality + 0.2 * s.latency
        assert s.total == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("complexity", list(Complexity))
@pytest.mark.parametrize("error_rate", [0.0, 0.3])
def test_a_lone_candidate_is_best_on_cost_and_latency(
    complexity: Complexity, error_rate: float
) -> None:
    weights = Weights(0.5, 0.3, 0.2)
    health = healthy(**dict.fromkeys(PROVIDERS, error_rate))
    for option in options():
        [alone] = rank(
            [option],
            complexity=complexity,
            weights=weights,
            prompt_tokens=800,
            health=health,
            now=NOW,
        )
        tier = option.model.quality_tier
        quality = quality_fit(tier, complexity)
        assert (alone.cost, alone.latency, alone.quality) == (1.0, 1.0, quality)
        assert alone.total == round(0.5 + 0.3 * quality + 0.2 - 0.5 * error_rate, 6)
        assert alone.meets_tier is (tier >= {S: 1, M: 2, C: 3}[complexity])


def test_below_the_minimum_tier_ranks_last_as_a_fallback() -> None:
    complex_order = order(ranked(C, STRATEGY_WEIGHTS[RoutingStrategy.COST]))
    assert complex_order[-2:] == ["groq/fast-small", "ollama/tiny"]  # tiers 2 and 1
    assert order(ranked(M, STRATEGY_WEIGHTS[RoutingStrategy.COST]))[-1] == "ollama/tiny"


@pytest.mark.parametrize(
    ("tier", "simple", "complex_"),
    [(1, 0.595, 0.0), (2, 0.8875, 0.2075), (3, 0.925, 0.5), (5, 1.0, 1.0)],
)
def test_quality_fit(tier: int, simple: float, complex_: float) -> None:
    assert quality_fit(tier, S) == pytest.approx(simple)
    assert quality_fit(tier, C) == pytest.approx(complex_)
    assert quality_fit(5, S) - quality_fit(2, S) < 0.15  # a simple request gains little


def test_live_latency_moves_the_latency_choice() -> None:
    slow_groq = healthy({**LATENCY_MS, "groq": 5_000.0, "openai": 150.0})
    assert first(M, RoutingStrategy.LATENCY, health=slow_groq) == "openai/mid"


def test_stale_or_missing_health_falls_back_to_priors() -> None:
    assert first(M, RoutingStrategy.LATENCY, health={}) == "groq/fast-small"  # groq's prior
    # an hour-old sample saying anthropic answers in 10 ms is not believed
    stale = {**healthy(), "anthropic": ProviderHealth(10.0, 0.0, 5, NOW - 3_600)}
    assert first(M, RoutingStrategy.LATENCY, health=stale) == "groq/fast-small"


def test_errors_push_a_provider_down() -> None:
    assert first(M, RoutingStrategy.BALANCED, health=healthy(groq=0.8)) != "groq/fast-small"


def test_prefer_local_puts_a_healthy_ollama_first_for_simple_requests() -> None:
    quality = STRATEGY_WEIGHTS[RoutingStrategy.QUALITY]
    assert first(S, RoutingStrategy.QUALITY) == "anthropic/big"
    assert order(ranked(S, quality, prefer_local=True))[0] == "ollama/tiny"
    # not for harder requests, and not when Ollama is failing
    assert order(ranked(M, quality, prefer_local=True))[0] == "anthropic/big"
    sick = healthy(ollama=0.9)
    assert order(ranked(S, quality, prefer_local=True, health=sick))[0] == "anthropic/big"


def test_ties_break_by_seed_deterministically() -> None:
    groq = options("small")[0]
    twin = replace(
        groq, model=replace(groq.model, provider="together"), credential_key="together:platform"
    )
    flat = {p: ProviderHealth(300.0, 0.0, 100, NOW) for p in PROVIDERS}

    def run(seed: str) -> tuple[str, ...]:
        scored = rank(
            (groq, twin),
            complexity=S,
            weights=STRATEGY_WEIGHTS[RoutingStrategy.BALANCED],
            prompt_tokens=10,
            health=flat,
            now=NOW,
            seed=seed,
        )
        assert scored[0].total == scored[1].total  # a real tie
        return tuple(order(scored))

    assert len({run(str(i)) for i in range(20)}) == 2  # either way, depending on the seed
    for i in range(5):
        assert len({run(str(i)) for _ in range(3)}) == 1  # always the same way for one seed


def test_the_same_inputs_give_the_same_ranking() -> None:
    runs = {tuple(order(ranked(M, STRATEGY_WEIGHTS[RoutingStrategy.BALANCED]))) for _ in range(5)}
    assert len(runs) == 1


@pytest.mark.parametrize(
    ("strategy", "weights", "custom_allowed", "expected"),
    [
        ("cost", {}, False, (RoutingStrategy.COST, STRATEGY_WEIGHTS[RoutingStrategy.COST])),
        (
            "nonsense",
            {},
            True,
            (RoutingStrategy.BALANCED, STRATEGY_WEIGHTS[RoutingStrategy.BALANCED]),
        ),
        (
            "custom",
            {"cost": 2, "quality": 1, "latency": 1},
            True,
            (RoutingStrategy.CUSTOM, Weights(0.5, 0.25, 0.25)),
        ),
        (
            "custom",
            {"cost": -1, "quality": "x", "latency": 3},
            True,
            (RoutingStrategy.CUSTOM, Weights(0.0, 0.0, 1.0)),
        ),
        (
            "custom",
            {"cost": 1},
            False,
            (RoutingStrategy.BALANCED, STRATEGY_WEIGHTS[RoutingStrategy.BALANCED]),
        ),
        (
            "custom",
            {},
            True,
            (RoutingStrategy.BALANCED, STRATEGY_WEIGHTS[RoutingStrategy.BALANCED]),
        ),
    ],
)
def test_strategy_weights(
    strategy: str,
    weights: dict[str, Any],
    custom_allowed: bool,
    expected: tuple[RoutingStrategy, Weights],
) -> None:
    assert strategy_weights(strategy, weights, custom_allowed=custom_allowed) == expected


def test_custom_weights_steer_the_choice() -> None:
    _, latency_only = strategy_weights("custom", {"latency": 5}, custom_allowed=True)
    assert order(ranked(C, latency_only))[0] == "openai/mid"
    _, quality_only = strategy_weights("custom", {"quality": 1}, custom_allowed=True)
    assert order(ranked(C, quality_only))[0] == "anthropic/big"
