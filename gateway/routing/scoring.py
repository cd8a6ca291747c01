"""Ranks eligible pairs by the tenant's strategy (pure, deterministic for a given seed).

Each candidate gets three scores in [0, 1] and a weighted sum:

- cost: the request's estimated cost (prompt at the input price, the class's typical output
  at the output price), relative to the cheapest candidate that meets the class's minimum
  tier, on a log scale: each tenfold more costs a third of the score, so 1,000 times the
  cheapest scores 0. Free (local) models count as costing `COST_FLOOR_MICRO` so the scale
  stays finite.
- quality: how well the model's tier fits the request's class (`QUALITY_FIT`: a simple
  request gains nothing from tier 5, a complex one is penalised on low tiers), plus a small
  share for the tier itself, so that a quality-first tenant still prefers the stronger model.
- latency: the provider's live EWMA latency (a prior per provider until it has fresh samples),
  relative to the fastest candidate on a log scale: each doubling costs a quarter.

The sum loses `ERROR_PENALTY` times the provider's live error rate. Candidates below the class's
minimum tier (`MIN_TIER`) rank after every candidate that meets it, whatever their sums: they
stay in the list as fallbacks. `prefer_local` moves healthy Ollama candidates first for simple
requests. Ties are broken by a digest of (seed, candidate), so they spread across candidates
from one request to the next while any one input always gives the same order.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.db.enums import RoutingStrategy
from gateway.health.ewma import ProviderHealth
from gateway.routing.classifier import Complexity
from gateway.routing.eligibility import Eligible

COST_FLOOR_MICRO = 1.0
COST_DECADES = 3.0
LATENCY_DOUBLINGS = 4.0
ERROR_PENALTY = 0.5
TIER_SHARE = 0.15
LOCAL_PROVIDER = "ollama"
LOCAL_HEALTHY_ERROR_RATE = 0.5
LOCAL_HEALTHY_PENALTY = ERROR_PENALTY * LOCAL_HEALTHY_ERROR_RATE

QUALITY_FIT: Mapping[Complexity, Mapping[int, float]] = {
    Complexity.SIMPLE: {1: 0.7, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0},
    Complexity.MEDIUM: {1: 0.2, 2: 0.6, 3: 0.9, 4: 1.0, 5: 1.0},
    Complexity.COMPLEX: {1: 0.0, 2: 0.2, 3: 0.5, 4: 0.8, 5: 1.0},
}
MIN_TIER: Mapping[Complexity, int] = {
    Complexity.SIMPLE: 1,
    Complexity.MEDIUM: 2,
    Complexity.COMPLEX: 3,
}
TYPICAL_OUTPUT_TOKENS: Mapping[Complexity, int] = {
    Complexity.SIMPLE: 150,
    Complexity.MEDIUM: 500,
    Complexity.COMPLEX: 1_500,
}
PRIOR_LATENCY_MS: Mapping[str, float] = {
    "groq": 300.0,
    "ollama": 500.0,
    "openai": 800.0,
    "together": 900.0,
    "anthropic": 1_000.0,
}
DEFAULT_LATENCY_MS = 1_000.0


@dataclass(frozen=True, slots=True)
class Weights:
    cost: float
    quality: float
    latency: float

    def normalised(self) -> Weights:
        total = self.cost + self.quality + self.latency
        return Weights(self.cost / total, self.quality / total, self.latency / total)


STRATEGY_WEIGHTS: Mapping[RoutingStrategy, Weights] = {
    RoutingStrategy.COST: Weights(0.70, 0.20, 0.10),
    RoutingStrategy.QUALITY: Weights(0.05, 0.90, 0.05),
    RoutingStrategy.LATENCY: Weights(0.10, 0.20, 0.70),
    RoutingStrategy.BALANCED: Weights(0.40, 0.35, 0.25),
}


def strategy_weights(
    strategy: str, custom: Mapping[str, float], *, custom_allowed: bool
) -> tuple[RoutingStrategy, Weights]:
    """The strategy in effect and its weights.

    `custom` uses the tenant's weights (negative or non-numeric ones count as 0), normalised
    to sum 1; without the plan's custom routing, or with all weights 0, it is `balanced`.
    An unknown strategy name is `balanced` too.
    """
    try:
        chosen = RoutingStrategy(strategy)
    except ValueError:
        chosen = RoutingStrategy.BALANCED
    if chosen is not RoutingStrategy.CUSTOM:
        return chosen, STRATEGY_WEIGHTS[chosen]
    weights = Weights(*(_weight(custom.get(name)) for name in ("cost", "quality", "latency")))
    if not custom_allowed or weights.cost + weights.quality + weights.latency <= 0:
        return RoutingStrategy.BALANCED, STRATEGY_WEIGHTS[RoutingStrategy.BALANCED]
    return chosen, weights.normalised()


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate's weighted total (rounded to 6 places: equal totals tie) and its three
    scores, unrounded (`CandidateScore.of` rounds them for display)."""

    option: Eligible
    total: float
    cost: float
    quality: float
    latency: float
    meets_tier: bool


def rank(
    options: Sequence[Eligible],
    *,
    complexity: Complexity,
    weights: Weights,
    prompt_tokens: int,
    health: Mapping[str, ProviderHealth],
    now: float,
    prefer_local: bool = False,
    seed: str = "",
) -> list[Scored]:
    """`options` scored and ordered best first.

    `auto` ranks every model of every provider on each request, so what depends only on
    the provider (latency, error rate, local health) or the tier is worked out once.
    """
    if not options:
        return []
    min_tier = MIN_TIER[complexity]
    if len(options) == 1:
        # A model the request names, served by one provider: on scales of its own it is the
        # cheapest and the fastest (1.0 on both), as the loop below would work out.
        option = options[0]
        penalty = ERROR_PENALTY * _error_rate(option.provider, health, now)
        meets_tier = option.model.quality_tier >= min_tier
        return [_scored(option, 1.0, 1.0, penalty, _FIT_BY_TIER[complexity], weights, meets_tier)]
    output = TYPICAL_OUTPUT_TOKENS[complexity]
    providers = {o.provider for o in options}
    latency_of = {p: _latency(p, health, now) for p in providers}
    penalty_of = {p: ERROR_PENALTY * _error_rate(p, health, now) for p in providers}
    if prefer_local and complexity is Complexity.SIMPLE:
        first_of = {
            p: not (p == LOCAL_PROVIDER and penalty_of[p] < LOCAL_HEALTHY_PENALTY)
            for p in providers
        }
    else:
        first_of = dict.fromkeys(providers, True)
    fit_of = _FIT_BY_TIER[complexity]
    costs = [_cost_micro(o, prompt_tokens, min(output, o.output_tokens)) for o in options]
    meets = [o.model.quality_tier >= min_tier for o in options]
    # The scales start at the best candidate that meets the tier: a free tier-1 model must not
    # flatten the cost scores of the models a complex request can actually use.
    peers = [i for i, ok in enumerate(meets) if ok] or range(len(options))
    cheapest = min(costs[i] for i in peers) + COST_FLOOR_MICRO
    fastest = min(latency_of[options[i].provider] for i in peers)
    log10, log2 = math.log10, math.log2
    keyed = []
    for option, cost, meets_tier in zip(options, costs, meets, strict=True):
        provider = option.provider
        c = min(max(1 - log10((cost + COST_FLOOR_MICRO) / cheapest) / COST_DECADES, 0.0), 1.0)
        lat = min(max(1 - log2(latency_of[provider] / fastest) / LATENCY_DOUBLINGS, 0.0), 1.0)
        scored = _scored(option, c, lat, penalty_of[provider], fit_of, weights, meets_tier)
        keyed.append(((first_of[provider], not meets_tier, -scored.total), scored))
    if len({key for key, _ in keyed}) == len(keyed):  # no ties: the seed cannot change a thing
        keyed.sort(key=lambda pair: pair[0])
        return [scored for _, scored in keyed]
    keyed.sort(key=lambda pair: (*pair[0], tiebreak(seed, pair[1].option.label)))
    return [scored for _, scored in keyed]


def _scored(
    option: Eligible,
    cost: float,
    latency: float,
    penalty: float,
    fit_of: Mapping[int, float],
    weights: Weights,
    meets_tier: bool,
) -> Scored:
    """A candidate with its cost and latency scores: its quality fit, and the weighted sum
    of the three less its error penalty."""
    q = fit_of[min(max(option.model.quality_tier, 1), 5)]
    total = round(
        weights.cost * cost + weights.quality * q + weights.latency * latency - penalty, 6
    )
    return Scored(option, total, cost, q, latency, meets_tier)


def quality_fit(tier: int, complexity: Complexity) -> float:
    fit = QUALITY_FIT[complexity].get(min(max(tier, 1), 5), 0.0)
    return (1 - TIER_SHARE) * fit + TIER_SHARE * (min(max(tier, 1), 5) - 1) / 4


_FIT_BY_TIER: Mapping[Complexity, Mapping[int, float]] = {
    complexity: {tier: quality_fit(tier, complexity) for tier in range(1, 6)}
    for complexity in Complexity
}


def is_healthy_local(option: Eligible, health: Mapping[str, ProviderHealth], now: float) -> bool:
    return (
        option.provider == LOCAL_PROVIDER
        and _error_rate(option.provider, health, now) < LOCAL_HEALTHY_ERROR_RATE
    )


def tiebreak(seed: str, label: str) -> bytes:
    return hashlib.blake2b(f"{seed}\x00{label}".encode(), digest_size=8).digest()


def _cost_micro(option: Eligible, prompt_tokens: int, output_tokens: int) -> float:
    model = option.model
    scaled = prompt_tokens * model.input_per_million + output_tokens * model.output_per_million
    return scaled / 1_000_000


def _latency(provider: str, health: Mapping[str, ProviderHealth], now: float) -> float:
    live = health.get(provider)
    if live is not None and live.latency_ms is not None and live.is_fresh(now):
        return max(live.latency_ms, 1.0)
    return PRIOR_LATENCY_MS.get(provider, DEFAULT_LATENCY_MS)


def _error_rate(provider: str, health: Mapping[str, ProviderHealth], now: float) -> float:
    live = health.get(provider)
    return live.error_rate if live is not None and live.is_fresh(now) else 0.0


def _weight(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return max(float(value), 0.0)
