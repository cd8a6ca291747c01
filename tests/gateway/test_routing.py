"""`model: "auto"` follows the tenant's strategy; the decision comes back in a header."""

from __future__ import annotations

from collections.abc import Callable

import openai

from gateway.pricing.catalog import Catalog
from tests.gateway.conftest import Tenant

SIMPLE = [{"role": "user", "content": "Say hi."}]


def route(gateway_url: str, tenant: Tenant) -> dict[str, str]:
    client = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=SIMPLE)
    fields = dict(part.split("=", 1) for part in raw.headers["x-routerai-route"].split(";"))
    provider, _, model = fields["chosen"].partition("/")
    assert (provider, model) == (
        raw.headers["x-routerai-provider"],
        raw.headers["x-routerai-model"],
    )
    return fields


def test_the_cost_strategy_picks_a_free_local_model_for_a_simple_prompt(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    fields = route(gateway_url, make_tenant(routing_strategy="cost"))
    assert fields["strategy"] == "cost" and fields["class"] == "simple"
    provider, _, model = fields["chosen"].partition("/")
    info = Catalog().get(provider, model)
    assert info is not None and info.input_per_million == 0


def test_the_quality_strategy_picks_a_top_tier_model(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    fields = route(gateway_url, make_tenant(routing_strategy="quality"))
    provider, _, model = fields["chosen"].partition("/")
    info = Catalog().get(provider, model)
    assert info is not None and info.quality_tier == 5


def test_a_concrete_model_is_honoured_whatever_the_strategy(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(routing_strategy="cost")
    client = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=SIMPLE)
    assert raw.headers["x-routerai-model"] == "gpt-4o"


def test_the_free_plan_is_limited_to_two_providers(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(plan="free")
    client = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
    providers = {m.owned_by for m in client.models.list() if m.id != "auto"}
    assert len(providers) == 2
