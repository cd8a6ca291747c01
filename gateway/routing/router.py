"""Stage 5, the router: eligible pairs → breakers → credentials → class → ordered candidates.

    found    = eligible(...)                  pure: name, allow-lists, credentials, plan,
                                              capabilities, context (gateway.routing.eligibility);
                                              steps 1-5 remembered per tenant context
    open     = found minus open breakers      BreakerView (Redis, cached ~1 s)
    keyed    = open + credentials             SecretSource for BYOK keys (cached in process)
    class    = classify(body)                 pure (gateway.routing.classifier)
    ranked   = rank(keyed, strategy, health)  pure (gateway.routing.scoring); HealthSource ~1 s

`Router.draft` goes as far as `keyed` (it ranks first only when it must pick the best few of
many options); `RouteDraft.plan` classifies and ranks, pure CPU that the pipeline runs while
Redis admits the request, and `Router.plan` does both in one call.

The router does no I/O of its own: health, breakers and tenants' keys come through the three
small protocols below, so tests hand it fixed values. The plan's candidates are the failover
order; the executor goes through them with `gateway.routing.attempts.AttemptGate` (breaker
`allow` before each attempt, where a half-open probe is claimed; the outcome after it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.credentials.secret import ProviderSecret
from gateway.db.enums import RoutingStrategy
from gateway.health.ewma import ProviderHealth
from gateway.pricing.catalog import Capability, Catalog, ModelInfo, ModelKind
from gateway.routing.classifier import Complexity, classify_body
from gateway.routing.decision import CandidateScore, RoutingDecision
from gateway.routing.eligibility import (
    CredentialSource,
    Eligibility,
    Eligible,
    ProviderAccess,
    Stage,
    fitting,
    model_allowed,
    provider_access,
    serving,
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
        self._platform_secrets = {
            p: ProviderSecret(p, key) for p in providers if (key := platform.get(p))
        }
        self._secrets = secrets
        self._health = health
        self._breakers = breakers
        self._sandbox = sandbox_mode
        self._clock = clock
        self.access: Callable[[TenantContext], ProviderAccess] = per_tenant(self._access_of)
        """The providers the tenant may route to, each with its credential source."""
        self._served = per_tenant(_no_names)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def use_catalog(self, catalog: Catalog) -> None:
        """Route over `catalog` from now on (a local Ollama's models were rediscovered)."""
        self._catalog = catalog
        self._served = per_tenant(_no_names)

    def _serving(
        self, tenant: TenantContext, name: str, kind: ModelKind, needs: Needs
    ) -> Eligibility:
        """Eligibility steps 1-5, remembered per tenant context for the names it may call
        (a refusal is worked out afresh, so unknown names take no memory)."""
        served = self._served(tenant)
        key = (name, kind, needs.capabilities)
        found = served.get(key)
        if found is None:
            found = serving(
                self._catalog,
                tenant,
                name,
                kind,
                needs.capabilities,
                self.access(tenant),
                self._providers,
            )
            if found.options:
                served[key] = found
        return found

    def _access_of(self, tenant: TenantContext) -> ProviderAccess:
        return provider_access(
            tenant,
            registered=self._providers,
            platform_keys=self._platform_secrets.keys(),
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
        draft = await self.draft(
            tenant,
            body,
            prompt_tokens,
            requested_model=requested_model,
            kind=kind,
            seed=seed,
            limit=limit,
        )
        return draft.plan()

    async def draft(
        self,
        tenant: TenantContext,
        body: dict[str, Any],
        prompt_tokens: int,
        *,
        requested_model: str | None = None,
        kind: ModelKind = ModelKind.CHAT,
        seed: str = "",
        limit: int | None = None,
    ) -> RouteDraft:
        """`plan` up to the ranking, which is left to `RouteDraft.plan`: pure CPU, so the
        pipeline ranks while Redis works on the admission. The draft's candidates are the
        ones the plan will order; the ranking runs here only when it must pick them (more
        options qualify than `limit` takes)."""
        name = requested_model if requested_model is not None else str(body.get("model", ""))
        chat = kind is ModelKind.CHAT
        needs = needs_of(body, prompt_tokens) if chat else Needs(frozenset(), prompt_tokens, 0)
        found = fitting(self._serving(tenant, name, kind, needs), needs)
        if not found.options:
            raise refusal(found, name, needs, self.access(tenant))
        now = self._clock()
        keys = {o.credential_key for o in found.options}
        # Sequential on purpose: both answer from a one-second in-process cache almost
        # always, and gathering would pay for two tasks on every request.
        blocked = await self._breakers.blocked(keys, now)
        health = await self._health.snapshot()
        options = [o for o in found.options if o.credential_key not in blocked]
        if not options:
            raise unavailable(name)
        draft = RouteDraft(
            tenant=tenant,
            name=name,
            options=options,
            body=body if chat else None,
            prompt_tokens=prompt_tokens,
            health=health,
            now=now,
            seed=seed,
            choices=needs.choices,
        )
        contenders = options
        if limit is not None and len(options) > limit:
            contenders = [scored.option for scored in draft.ranked(limit)]
        draft.keyed = await self._with_keys(tenant.org_id, contenders)
        if not draft.keyed:
            raise refusal(Eligibility((), Stage.NO_CREDENTIAL), name, needs, self.access(tenant))
        return draft

    async def _with_keys(
        self, org_id: str, options: Sequence[Eligible]
    ) -> list[tuple[Eligible, Candidate]]:
        """Each option with its keyed candidate; BYOK keys that vanished meanwhile drop theirs."""
        byok = sorted({o.provider for o in options if o.source is CredentialSource.BYOK})
        keys: dict[str, ProviderSecret | None] = {}
        if byok:
            fetched = await asyncio.gather(*(self._secrets.get(org_id, p) for p in byok))
            keys = dict(zip(byok, fetched, strict=True))
        keyed = []
        for option in options:
            if option.source is CredentialSource.BYOK:
                secret = keys.get(option.provider)
            else:
                secret = self._platform_secrets.get(option.provider)
            if secret is not None:
                candidate = Candidate(
                    option.model,
                    secret,
                    option.source,
                    option.credential_key,
                    option.output_tokens,
                )
                keyed.append((option, candidate))
        return keyed


@dataclass(slots=True)
class RouteDraft:
    """A route before its ranking (`Router.draft`): its candidates and what ranks them."""

    tenant: TenantContext
    name: str
    options: list[Eligible]
    body: dict[str, Any] | None  # None: not a chat, which is simple
    prompt_tokens: int
    health: Mapping[str, ProviderHealth]
    now: float
    seed: str
    choices: int
    keyed: list[tuple[Eligible, Candidate]] = field(default_factory=list, init=False)
    _ranked: list[Scored] | None = field(default=None, init=False)
    _complexity: Complexity | None = field(default=None, init=False)

    @property
    def candidates(self) -> list[Candidate]:
        """The candidates the plan will order (in failover order only once planned)."""
        return [candidate for _, candidate in self.keyed]

    @property
    def output_reserve(self) -> int:
        """The output tokens to reserve: the most any candidate may produce, per choice."""
        return max(option.output_tokens for option, _ in self.keyed) * self.choices

    def ranked(self, limit: int | None = None) -> list[Scored]:
        """Every option scored, best first (the best `limit` with a limit: ranked once)."""
        if self._ranked is None:
            _, weights = _strategy(self.tenant)
            self._ranked = rank(
                self.options,
                complexity=self.complexity(),
                weights=weights,
                prompt_tokens=self.prompt_tokens,
                health=self.health,
                now=self.now,
                prefer_local=self.tenant.prefer_local,
                seed=self.seed,
            )[:limit]
        return self._ranked

    def plan(self) -> RoutePlan:
        """The candidates in failover order and the decision that explains it."""
        ranked = self.ranked()
        keyed = {id(option): candidate for option, candidate in self.keyed}
        candidates = tuple(keyed[id(s.option)] for s in ranked if id(s.option) in keyed)
        complexity = self.complexity()
        strategy, _ = _strategy(self.tenant)
        decision = RoutingDecision(
            complexity=complexity,
            strategy=strategy.value,
            requested=self.name,
            chosen=candidates[0].label,
            scores=tuple(CandidateScore.of(s) for s in ranked),
            local_first=self.tenant.prefer_local
            and complexity is Complexity.SIMPLE
            and is_healthy_local(ranked[0].option, self.health, self.now),
        )
        return RoutePlan(candidates, decision, self.output_reserve)

    def complexity(self) -> Complexity:
        """The request's class (classified once, when first needed)."""
        if self._complexity is None:
            self._complexity = (
                Complexity.SIMPLE
                if self.body is None
                else classify_body(self.body, self.prompt_tokens)
            )
        return self._complexity


ServedNames = dict[tuple[str, ModelKind, frozenset[Capability]], Eligibility]


def _no_names(tenant: TenantContext) -> ServedNames:
    return {}


@per_tenant
def _strategy(tenant: TenantContext) -> tuple[RoutingStrategy, Weights]:
    return strategy_weights(
        tenant.routing_strategy,
        tenant.routing_weights,
        custom_allowed=tenant.plan_info.custom_routing,
    )
