"""The routing page's service: read, preview and save an organization's routing settings.

Weights travel as whole percentages that sum to 100 (`rebalance` keeps them there while
a slider moves; `validate_weights` refuses anything else). Saving needs the CONFIGURE
action, keeps the allow-lists inside the plan's providers, and drops the organization's
cached tenant contexts (`forget_org`), so the next request on every gateway process
routes by the new settings. A preview runs the gateway's own router over a tenant
context built from the draft; it saves nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.auth.permissions import Action, Actor, require
from gateway.db.enums import KeyEnvironment, RoutingStrategy
from gateway.db.models import ApiKey, Organization, ProviderCredential
from gateway.db.sessions import tenant_session
from gateway.errors import GatewayError
from gateway.pricing.catalog import ModelInfo, ModelKind
from gateway.routing.router import Router
from gateway.routing.scoring import STRATEGY_WEIGHTS
from gateway.tenancy.changes import forget_org
from gateway.tenancy.context import TenantContext
from gateway.tenancy.loader import tenant_context
from gateway.tokens import count_chat_prompt

WEIGHT_NAMES = ("cost", "quality", "latency")
PREVIEW_CANDIDATES = 3
MAX_CUSTOM_PROMPT = 100_000  # characters
SAMPLE_PROMPTS: tuple[tuple[str, str], ...] = (
    ("Short chat", "Hi! Can you recommend a good name for a grey cat?"),
    (
        "Long code question",
        "I have a Python service that reads orders from a PostgreSQL table, groups them by "
        "customer and sends a daily summary e-mail. It has started to time out now that the "
        "table has 40 million rows. Here is the query and the loop:\n\n"
        "```python\nrows = session.execute(select(Order)).scalars().all()\n"
        "by_customer = defaultdict(list)\nfor row in rows:\n"
        "    by_customer[row.customer_id].append(row)\n"
        "for customer, orders in by_customer.items():\n"
        "    send_summary(customer, orders)\n```\n\n"
        "Explain step by step why this is slow, then refactor it to stream the rows in "
        "batches, aggregate in SQL where possible, and make the e-mail sending concurrent "
        "with a bounded worker pool. Compare the trade-offs of each approach and analyze "
        "the memory use before and after.",
    ),
    (
        "Summary",
        "Summarize in three bullet points: the meeting agreed to move the launch to March, "
        "hire two support engineers, and review pricing after the first month of sales.",
    ),
)


@dataclass(frozen=True, slots=True)
class RoutingDraft:
    """Routing settings as the page edits them; `None` allow-lists allow everything."""

    strategy: str
    weights: Mapping[str, float]
    prefer_local: bool
    baseline_model: str
    allowed_providers: tuple[str, ...] | None = None
    allowed_models: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RoutingView:
    """The saved settings and the choices the page may offer for this organization."""

    saved: RoutingDraft
    plan: str
    custom_allowed: bool
    providers: tuple[str, ...]
    models: tuple[ModelInfo, ...]
    baseline_models: tuple[str, ...]
    presets: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """What the router would do with one sample prompt under the draft."""

    label: str
    prompt: str
    complexity: str = ""
    strategy: str = ""
    chosen: str = ""
    fallbacks: tuple[str, ...] = ()
    error: str = ""


def percent_weights(weights: Mapping[str, float]) -> dict[str, int]:
    """Weights (any scale) as whole percentages summing to 100 (largest remainder)."""
    values = [max(float(weights.get(name) or 0.0), 0.0) for name in WEIGHT_NAMES]
    total = sum(values)
    if total <= 0:
        return percent_weights(dataclasses.asdict(STRATEGY_WEIGHTS[RoutingStrategy.BALANCED]))
    shares = {n: v / total * 100 for n, v in zip(WEIGHT_NAMES, values, strict=True)}
    return _largest_remainder(shares)


def rebalance(weights: Mapping[str, int], name: str, value: int) -> dict[str, int]:
    """`name` set to `value`; the others share what is left in their current proportions."""
    if name not in WEIGHT_NAMES:
        raise ValueError(f"unknown weight {name!r}; choose one of: {', '.join(WEIGHT_NAMES)}")
    value = min(max(int(value), 0), 100)
    others = [n for n in WEIGHT_NAMES if n != name]
    current = {n: max(int(weights.get(n, 0)), 0) for n in others}
    spread = sum(current.values())
    left = 100 - value
    shares = {n: left * (current[n] / spread if spread else 1 / len(others)) for n in others}
    return {name: value, **_largest_remainder(shares, total=left)}


def validate_weights(weights: Mapping[str, object]) -> dict[str, float]:
    """Percentages for cost, quality and latency, each 0-100, summing to 100 → fractions."""
    parsed = {}
    for name in WEIGHT_NAMES:
        raw = weights.get(name)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"the {name} weight must be a number")
        if not 0 <= raw <= 100:
            raise ValueError(f"the {name} weight must be between 0 and 100 %")
        parsed[name] = float(raw)
    if abs(sum(parsed.values()) - 100) > 0.01:
        raise ValueError(f"the weights must add up to 100 %, not {sum(parsed.values()):g} %")
    return {name: round(value / 100, 4) for name, value in parsed.items()}


class RoutingSettings:
    """An organization's routing settings, as the dashboard reads, previews and saves them."""

    def __init__(self, engine: Engine, redis: aioredis.Redis, router: Router) -> None:
        self._engine = engine
        self._redis = redis
        self._router = router

    async def view(self, actor: Actor) -> RoutingView:
        require(actor.role, Action.VIEW)
        base = await asyncio.to_thread(self._base_context, actor.org_id)
        providers = self._plan_providers(base)
        models = tuple(m for m in self._chat_models() if m.provider in providers)
        return RoutingView(
            saved=_draft_of(base),
            plan=base.plan,
            custom_allowed=base.plan_info.custom_routing,
            providers=providers,
            models=models,
            baseline_models=tuple(sorted({m.id for m in self._chat_models()})),
            presets={
                s.value: percent_weights(dataclasses.asdict(w)) for s, w in STRATEGY_WEIGHTS.items()
            },
        )

    async def preview(
        self, actor: Actor, draft: RoutingDraft, custom_prompt: str = ""
    ) -> list[PreviewRow]:
        """The router's choice for each sample prompt (and `custom_prompt`) under `draft`."""
        require(actor.role, Action.VIEW)
        base = await asyncio.to_thread(self._base_context, actor.org_id)
        tenant = self._apply(base, draft)
        prompts = list(SAMPLE_PROMPTS)
        if custom_prompt.strip():
            prompts.append(("Your prompt", custom_prompt.strip()[:MAX_CUSTOM_PROMPT]))
        return [await self._route(tenant, label, text) for label, text in prompts]

    async def save(self, actor: Actor, draft: RoutingDraft) -> RoutingDraft:
        """Validate and store `draft`; every gateway process routes by it from its next request."""
        require(actor.role, Action.CONFIGURE)
        base = await asyncio.to_thread(self._base_context, actor.org_id)
        checked = _draft_of(self._apply(base, draft))
        await asyncio.to_thread(self._store, actor.org_id, checked)
        await forget_org(self._engine, self._redis, actor.org_id)
        return checked

    # -- validation ---------------------------------------------------------------------

    def _apply(self, base: TenantContext, draft: RoutingDraft) -> TenantContext:
        """`base` with the draft's settings, or ValueError saying what is wrong with them."""
        try:
            strategy = RoutingStrategy(draft.strategy)
        except ValueError:
            names = ", ".join(s.value for s in RoutingStrategy)
            message = f"unknown strategy {draft.strategy!r}; choose one of: {names}"
            raise ValueError(message) from None
        if strategy is RoutingStrategy.CUSTOM and not base.plan_info.custom_routing:
            raise ValueError("custom weights need the Scale plan or above")
        weights = validate_weights(draft.weights)
        if not self._router.catalog.serving(draft.baseline_model):
            raise ValueError(f"unknown baseline model {draft.baseline_model!r}")
        providers = self._plan_providers(base)
        allowed_providers = _allow_list(draft.allowed_providers, providers, "provider")
        usable = allowed_providers if allowed_providers is not None else providers
        model_ids = dict.fromkeys(m.id for m in self._chat_models() if m.provider in usable)
        allowed_models = _allow_list(draft.allowed_models, tuple(model_ids), "model")
        return dataclasses.replace(
            base,
            routing_strategy=strategy.value,
            routing_weights=weights,
            prefer_local=bool(draft.prefer_local),
            baseline_model=draft.baseline_model,
            allowed_providers=allowed_providers,
            allowed_models=allowed_models,
        )

    def _plan_providers(self, base: TenantContext) -> tuple[str, ...]:
        """The providers the plan lets this organization route to, allow-lists aside."""
        open_tenant = dataclasses.replace(base, allowed_providers=None, allowed_models=None)
        return tuple(self._router.access(open_tenant).sources)

    def _chat_models(self) -> list[ModelInfo]:
        return [m for m in self._router.catalog.models if m.kind is ModelKind.CHAT]

    # -- routing ------------------------------------------------------------------------

    async def _route(self, tenant: TenantContext, label: str, text: str) -> PreviewRow:
        body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
        row = PreviewRow(label, text)
        try:
            tokens = count_chat_prompt(body, self._router.tokenizer_for("auto"))
            plan = await self._router.plan(
                tenant, body, tokens, seed=f"preview:{label}", limit=PREVIEW_CANDIDATES
            )
        except GatewayError as exc:
            return dataclasses.replace(row, error=str(exc))
        decision = plan.decision
        return dataclasses.replace(
            row,
            complexity=decision.complexity.value,
            strategy=decision.strategy,
            chosen=decision.chosen,
            fallbacks=tuple(c.label for c in plan.candidates[1:]),
        )

    # -- database -----------------------------------------------------------------------

    def _base_context(self, org_id: uuid.UUID) -> TenantContext:
        """The organization's tenant context as a request would see it (any key)."""
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id)
            if org is None:
                raise LookupError("the organization no longer exists")
            statement = select(ProviderCredential.provider).where(
                ProviderCredential.org_id == org_id
            )
            byok = tuple(sorted(session.exec(statement).all()))
        key = ApiKey(
            org_id=org_id, name="preview", environment=KeyEnvironment.PROD, prefix="", key_hash=""
        )
        return tenant_context(org, key, byok)

    def _store(self, org_id: uuid.UUID, draft: RoutingDraft) -> None:
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id, with_for_update=True)
            if org is None:
                raise LookupError("the organization no longer exists")
            org.routing_strategy = RoutingStrategy(draft.strategy)
            org.routing_weights = dict(draft.weights)
            org.prefer_local = draft.prefer_local
            org.baseline_model = draft.baseline_model
            org.allowed_providers = _as_list(draft.allowed_providers)
            org.allowed_models = _as_list(draft.allowed_models)
            session.add(org)


def _draft_of(tenant: TenantContext) -> RoutingDraft:
    return RoutingDraft(
        strategy=tenant.routing_strategy,
        weights=dict(tenant.routing_weights),
        prefer_local=tenant.prefer_local,
        baseline_model=tenant.baseline_model,
        allowed_providers=tenant.allowed_providers,
        allowed_models=tenant.allowed_models,
    )


def _allow_list(
    chosen: Sequence[str] | None, offered: Sequence[str], kind: str
) -> tuple[str, ...] | None:
    """The chosen names in offered order; None (allow all) when nothing or everything is chosen."""
    if chosen is None:
        return None
    unknown = sorted(set(chosen) - set(offered))
    if unknown:
        raise ValueError(f"not available on your plan: {kind} {', '.join(unknown)}")
    picked = tuple(name for name in offered if name in set(chosen))
    if not picked:
        raise ValueError(f"choose at least one {kind}, or allow them all")
    return None if len(picked) == len(offered) else picked


def _as_list(names: tuple[str, ...] | None) -> list[str] | None:
    return list(names) if names is not None else None


def _largest_remainder(shares: Mapping[str, float], total: int = 100) -> dict[str, int]:
    floors = {n: int(v) for n, v in shares.items()}
    short = total - sum(floors.values())
    order = sorted(shares, key=lambda n: (-(shares[n] - floors[n]), WEIGHT_NAMES.index(n)))
    for name in order[:short]:
        floors[name] += 1
    return {n: floors[n] for n in WEIGHT_NAMES if n in floors}
