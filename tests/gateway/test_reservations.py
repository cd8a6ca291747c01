"""What a request reserves, seen from the client: every plan answers `auto` and its models
without `max_tokens`; a 429 comes only when waiting would help, a request that can never
fit is a 400 naming what to change; and when a budget has room for less output than asked,
the provider is asked for less (and the answer says so) rather than the request refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from gateway.billing.plans import PLANS, PlanName
from gateway.pricing.catalog import CATALOG, ModelKind
from gateway.sandbox.control_client import SandboxControl
from tests.gateway.conftest import Tenant

HELLO = [{"role": "user", "content": "Say hello to the team."}]


def sdk(gateway_url: str, tenant: Tenant) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)


def post(gateway_url: str, tenant: Tenant, body: dict[str, Any]) -> httpx.Response:
    headers = {"authorization": f"Bearer {tenant.key}"}
    return httpx.post(f"{gateway_url}/v1/chat/completions", json=body, headers=headers, timeout=30)


@pytest.mark.parametrize("plan", list(PlanName))
def test_every_plan_answers_auto_and_each_of_its_models_without_max_tokens(
    gateway_url: str, make_tenant: Callable[..., Tenant], plan: PlanName
) -> None:
    tenant = make_tenant(plan=plan.value)
    client = sdk(gateway_url, tenant)
    models = [m.id for m in client.models.list() if m.id != "auto"]
    embedding = {m.id for m in CATALOG if m.kind is ModelKind.EMBEDDING}
    chat_models = [m for m in models if m not in embedding]
    assert chat_models

    for model in ["auto", *chat_models]:
        reply = client.chat.completions.with_raw_response.create(model=model, messages=HELLO)
        assert reply.parse().choices[0].message.content, model
        # the minute has room for less than the model could write: it is asked for no more
        limit = PLANS[plan].tokens_per_minute
        if (cap := reply.headers.get("x-routerai-max-tokens")) is not None:
            assert 0 < int(cap) < limit


def test_a_request_that_can_never_fit_a_minute_is_a_400_naming_max_tokens(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(plan="free")  # 40,000 tokens per minute
    client = sdk(gateway_url, tenant)

    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="auto", messages=HELLO, max_tokens=45_000)

    error = caught.value.response.json()["error"]
    assert (error["param"], error["code"]) == ("max_tokens", "tokens_per_minute_exceeded")
    assert "at most 39," in error["message"]  # what would fit, after the prompt
    # a request that fits still does: nothing was consumed by the refusal
    assert client.chat.completions.create(model="auto", messages=HELLO, max_tokens=39_000)


def test_a_prompt_larger_than_a_minute_is_a_400_naming_the_messages(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(plan="free")
    long = [{"role": "user", "content": "word " * 45_000}]

    with pytest.raises(openai.BadRequestError) as caught:
        sdk(gateway_url, tenant).chat.completions.create(model="auto", messages=long)

    error = caught.value.response.json()["error"]
    assert (error["param"], error["code"]) == ("messages", "tokens_per_minute_exceeded")


def test_a_429_for_tokens_comes_with_a_wait_after_which_the_request_fits(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(tpm_limit=20_000)
    body = {"model": "gpt-4o-mini", "messages": HELLO, "max_tokens": 9_000}

    async def at_once() -> list[httpx.Response]:
        headers = {"authorization": f"Bearer {tenant.key}"}
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
            calls = [
                http.post("/v1/chat/completions", json=body, headers=headers) for _ in range(6)
            ]
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(at_once())

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 429}
    for refused in (r for r in responses if r.status_code == 429):
        assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_a_budget_with_room_for_less_output_lowers_max_tokens_instead_of_refusing(
    gateway_url: str, make_tenant: Callable[..., Tenant], sandbox: SandboxControl
) -> None:
    # $0.0005: about 800 output tokens of gpt-4o-mini ($0.60 per million) after the prompt.
    tenant = make_tenant(monthly_usd_budget=500)
    body = {"model": "gpt-4o-mini", "messages": HELLO, "max_tokens": 5_000}

    lowered = post(gateway_url, tenant, body)

    assert lowered.status_code == 200
    cap = int(lowered.headers["x-routerai-max-tokens"])
    assert 700 < cap < 834  # what $0.0005 buys after the prompt's reservation
    assert sandbox.recent("openai")[-1]["body"]["max_tokens"] == cap
    assert lowered.json()["usage"]["completion_tokens"] <= cap


def test_a_budget_without_room_for_the_prompt_refuses_with_insufficient_quota(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(monthly_usd_budget=1)  # a micro-dollar: not even the prompt fits
    response = post(gateway_url, tenant, {"model": "gpt-4o-mini", "messages": HELLO})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "insufficient_quota"
