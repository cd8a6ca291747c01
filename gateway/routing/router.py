"""Stage 5, the router: eligible pairs → breakers → class → strategy → ordered candidates.

    found    = eligible(...)                  pure: name, allow-lists, credentials, plan,
                                              capabilities, context (gateway.routing.eligibility)
    open     = found minus open breakers      BreakerView (Redis, cached ~1 s)
    class    = classify(body)                 pure (gateway.routing.classifier)
    ranked   = rank(open, strategy, health)   pure (gateway.routing.scoring); HealthSource ~1 s
    plan     = ranked + credentials           SecretSource for BYOK keys (cached in process)

The router does no I/O of its own: health, breakers and tenants' keys come through the three
small protocols below, so tests hand it fixed values. The plan's candidates are the failover
order; the executor goes through them with `gateway.routing.attempts.AttemptGate` (breaker
`allow` before each attempt, where a half-open probe is claimed; the outcome after it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.credentials.secret import ProviderSecret
from gateway.db.enums import RoutingStrategy
from gateway.health.ewma import ProviderHealth
from gateway.pricing.catalog import Catalog, ModelInfo, ModelKind
from gateway.routing.classifier import Complexity, classify_body
from gateway.routing.decision import CandidateScore, RoutingDecision
from gateway.routing.eligibility import (
    CredentialSource,
    Eligibility,
    ProviderAccess,
    Stage,
    eligible,
    model_allowed,
    provider_access,
)
from gateway.routing.refusals import refusal, unavailable
from gateway.routing.requirements import Needs, needs_of
from gateway.routing.scoring import (
    Scored,
    Weights,
    is_healthy_local,
    rank,
    strategy_weights,
)
from gateway.routing.selection import Candidate, KeySource
from gateway.tenancy.context import TenantContext, per_tenant

DEFAULT_TOKENIZER = "o200k_base"


class HealthSource(Protocol):
    async def snapshot(self) -> Mapping[str, ProviderHealth]:
        """Every provider's live health (`gateway.health.store.HealthStore`)."""
        ...


class BreakerView(Protocol):
    async def blocked(self, keys: Iterable[str], now: float) -> frozenset[str]:
        """The credential keys whose breaker refuses attempts now (claims no probe)."""
        ...


class SecretSource(Protocol):
    async def get(self, org_id: str, provider: str) -> ProviderSecret | None:
        """A tenant's own key (`gateway.credentials.vault.CredentialVault`)."""
        ...


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """The candidates in failover order, why, and the output tokens to reserve."""

    candidates: tuple[Candidate, ...]
    decision: RoutingDecision
    output_reserve: int

    @property
    def chosen(self) -> Candidate:
        return self.candidates[0]


class Router:
    """Plans a request's route for a tenant; one instance per process."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        providers: Collection[str],
        platform: KeySource,
        secrets: SecretSource,
        health: HealthSource,
        breakers: BreakerView,
        sandbox_mode: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._catalog = catalog
        self._providers = frozenset(providers)
        self._platform = platform
        self._platform_keyed = frozenset(p for p in providers if platform.get(p))
        self._secrets = secrets
        self._health = health
        self._breakers = breakers
        self._sandbox = sandbox_mode
        self._clock = clock
        self.access: Callable[[TenantContext], ProviderAccess] = per_tenant(self._access_of)
        """The providers the tenant may route to, each with its credential source."""

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def use_catalog(self, catalog: Catalog) -> None:
        """Route over `catalog` from now on (a local Ollama's models were rediscovered)."""
        self._catalog = catalog

    def _access_of(self, tenant: TenantContext) -> ProviderAccess:
        return provider_access(
            tenant,
            registered=self._providers,
            platform_keys=self._platform_keyed,
            sandbox_mode=self._sandbox,
        )

    def tokenizer_for(self, name: str, kind: ModelKind = ModelKind.CHAT) -> str:
        """The encoding to count the prompt with before routing (`auto`: DEFAULT_TOKENIZER).

        Candidates may use other encodings; the count only sizes the reservation, which
        settles to the provider's own usage.
        """
        for model in self._catalog.serving(name):
            if model.kind is kind:
                return model.tokenizer
        return DEFAULT_TOKENIZER

    def available_models(self, tenant: TenantContext) -> list[ModelInfo]:
        """The catalogue entries this tenant may call (GET /v1/models), breakers aside."""
        sources = self.access(tenant).sources
        return [
            m for m in self._catalog.models if m.provider in sources and model_allowed(tenant, m)
        ]

    async def plan(
        self,
        tenant: TenantContext,
        body: dict[str, Any],
        prompt_tokens: int,
        *,
        requested_model: str | None = None,
        kind: ModelKind = ModelKind.CHAT,
        seed: str = "",
        limit: int | None = None,
    ) -> RoutePlan:
        """The ordered candidates for this request, or the GatewayError saying why none.

        With `limit`, only the best `limit` candidates are returned (and scored in the
        decision): the executor will not try more than its attempts allow.
        """
        name = requested_model if requested_model is not None else str(body.get("model", ""))
        chat = kind is ModelKind.CHAT
        needs = needs_of(body, prompt_tokens) if chat else Needs(frozenset(), prompt_tokens, 0)
        access = self.access(tenant)
        found = eligible(self._catalog, tenant, name, kind, needs, access, self._providers)
        if not found.options:
            raise refusal(found, name, needs, access)
        now = self._clock()
        keys = {o.credential_key for o in found.options}
        # Sequential on purpose: both answer from a one-second in-process cache almost
        # always, and gathering would pay for two tasks on every request.
        blocked = await self._breakers.blocked(keys, now)
        health = await self._health.snapshot()
        options = [o for o in found.options if o.credential_key not in blocked]
        if not options:
            raise unavailable(name)
        complexity = classify_body(body, prompt_tokens) if chat else Complexity.SIMPLE
        strategy, weights = _strategy(tenant)
        ranked = rank(
            options,
            complexity=complexity,
            weights=weights,
            prompt_tokens=prompt_tokens,
            health=health,
            now=now,
            prefer_local=tenant.prefer_local,
            seed=seed,
        )
        ranked = ranked[:limit] if limit is not None else ranked
        candidates = await self._with_keys(tenant.org_id, ranked)
        if not candidates:
            raise refusal(Eligibility((), Stage.NO_CREDENTIAL), name, needs, access)
        decision = RoutingDecision(
            complexity=complexity,
            strategy=strategy.value,
            requested=name,
            chosen=candidates[0].label,
            scores=tuple(CandidateScore.of(s) for s in ranked),
            local_first=tenant.prefer_local
            and complexity is Complexity.SIMPLE
            and is_healthy_local(ranked[0].option, health, now),
        )
        reserve = max(c.output_tokens for c in candidates) * needs.choices
        return RoutePlan(tuple(candidates), decision, reserve)

    async def _with_keys(self, org_id: str, ranked: Sequence[Scored]) -> list[Candidate]:
        """Attach each candidate's key; BYOK keys that vanished meanwhile drop their candidates."""
        byok = sorted(
            {s.option.provider for s in ranked if s.option.source is CredentialSource.BYOK}
        )
        keys: dict[str, ProviderSecret | None] = {}
        if byok:
            fetched = await asyncio.gather(*(self._secrets.get(org_id, p) for p in byok))
            keys = dict(zip(byok, fetched, strict=True))
        candidates = []
        for scored in ranked:
            option = scored.option
            if option.source is CredentialSource.BYOK:
                secret = keys.get(option.provider)
            else:
                secret = self._platform_secret(option.provider)
            if secret is not None:
                candidates.append(
                    Candidate(
                        option.model,
                        secret,
                        option.source,
                        option.credential_key,
                        option.output_tokens,
                    )
                )
        return candidates

    def _platform_secret(self, provider: str) -> ProviderSecret | None:
        key = self._platform.get(provider)
        return ProviderSecret(provider, key) if key else None


@per_tenant
def _strategy(tenant: TenantContext) -> tuple[RoutingStrategy, Weights]:
    return strategy_weights(
        tenant.routing_strategy,
        tenant.routing_weights,
        custom_allowed=tenant.plan_info.custom_routing,
    )
