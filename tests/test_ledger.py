"""Stage 7's prices: what a request cost, and what it would have cost on the baseline model
(the root of the dashboard's "money saved")."""

from __future__ import annotations

import redis.asyncio as aioredis

from gateway.background import BackgroundTasks
from gateway.budget.memory_store import MemoryAdmissionStore
from gateway.credentials.secret import ProviderSecret
from gateway.ledger import Ledger
from gateway.metrics import Metrics
from gateway.pricing.catalog import Catalog, ModelInfo, cost_micro_usd
from gateway.providers.base import Usage
from gateway.request import RequestContext
from gateway.routing.selection import Candidate
from gateway.usage import UsageRecorder
from tests.routing.helpers import tenant

CATALOG = Catalog()
LEDGER = Ledger(
    admission=MemoryAdmissionStore(),
    recorder=UsageRecorder(aioredis.Redis()),  # pricing never writes
    catalog=CATALOG,
    metrics=Metrics(),
    background=BackgroundTasks("tests"),
)
USAGE = Usage(1_200, 300)


def model(provider: str, model_id: str) -> ModelInfo:
    found = CATALOG.get(provider, model_id)
    assert found is not None
    return found


def served_by(provider: str, model_id: str, **tenant_fields: str) -> RequestContext:
    ctx = RequestContext("req_1", "chat", None, tenant=tenant(**tenant_fields))
    ctx.chosen = Candidate(model(provider, model_id), ProviderSecret(provider, "sk-test"))
    return ctx


def cost(on: ModelInfo, usage: Usage = USAGE) -> int:
    return cost_micro_usd(on, usage.prompt_tokens, usage.completion_tokens)


def test_a_chat_costs_its_model_and_is_compared_with_the_tenants_baseline() -> None:
    ctx = served_by("openai", "gpt-4o-mini")  # the tenant's baseline: gpt-4o, the default
    LEDGER.price(ctx, USAGE)
    assert ctx.usage == USAGE
    assert ctx.cost_micro == cost(model("openai", "gpt-4o-mini"))
    assert ctx.baseline_micro == cost(model("openai", "gpt-4o")) > ctx.cost_micro

    ctx = served_by("openai", "gpt-4o-mini", baseline_model="gpt-4.1-nano")
    LEDGER.price(ctx, USAGE)
    assert ctx.baseline_micro == cost(model("openai", "gpt-4.1-nano"))


def test_without_the_upstreams_usage_the_prompt_is_priced_alone() -> None:
    ctx = served_by("openai", "gpt-4o-mini")
    ctx.prompt_tokens = 40
    LEDGER.price(ctx, None)
    assert ctx.usage == Usage(40, 0)
    assert ctx.cost_micro == cost(model("openai", "gpt-4o-mini"), Usage(40, 0))


def test_an_embedding_is_its_own_baseline() -> None:
    ctx = served_by("openai", "text-embedding-3-small")
    LEDGER.price(ctx, Usage(5_000, 0))
    assert ctx.cost_micro == ctx.baseline_micro > 0


def test_a_cache_hit_costs_nothing_and_saves_what_the_baseline_would_have_cost() -> None:
    ctx = served_by("openai", "gpt-4o-mini")
    LEDGER.price_cache_hit(ctx, USAGE)
    assert ctx.usage == USAGE and ctx.cost_micro == 0
    assert ctx.baseline_micro == cost(model("openai", "gpt-4o"))
