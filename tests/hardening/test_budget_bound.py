"""The budget bound, whatever the provider counts: 200 concurrent requests against a small
budget, with the sandbox counting prompts more than RouterAI estimates them.

Each request is a prompt of 4,000 dots with `max_tokens` 1, the input that once overspent a
$0.001 budget 12.6 times: RouterAI's tokenizer packs the dots into 70 tokens, the sandbox
(like other tokenizers) counts 1,000, and the sandbox's `overcount` fault multiplies that.
The bound (RELIABILITY.md): overspend at most 1 % of the budget, or one request's cost,
whichever is larger; for tokens likewise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.api.app import create_app
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from tests.fixtures.processes import wait_for
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant, settled_spend
from tests.hardening.ledger import Ledger

MODEL = "gpt-4o-mini"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "." * 4000}], "max_tokens": 1}
CONCURRENCY = 200


@pytest.fixture
def gateway(gateway_settings: Settings) -> Iterator[tuple[Starlette, str]]:
    app = create_app(gateway_settings)
    with serve_in_thread(app) as url:
        yield app, url


async def _fire(url: str, key: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count)
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        calls = (
            http.post("/v1/chat/completions", json=BODY, headers=headers) for _ in range(count)
        )
        return list(await asyncio.gather(*calls))


def fire(url: str, key: str, count: int) -> list[httpx.Response]:
    return asyncio.run(_fire(url, key, count))


def spend_of(served: list[httpx.Response]) -> tuple[int, int]:
    tokens = sum(r.json()["usage"]["total_tokens"] for r in served)
    micro = sum(round(float(r.headers["x-routerai-cost-usd"]) * 1_000_000) for r in served)
    return tokens, micro


def check_the_bound(
    redis_url: str, tenant: Tenant, responses: list[httpx.Response], ledger: Ledger, **budget: int
) -> dict[str, Any]:
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert served, "the budget admits at least one request"
    assert {r.json()["error"]["code"] for r in refused} <= {"insufficient_quota"}
    # every settle is in: the counters equal what the answers say was used
    wait_for(lambda: settled_spend(redis_url, tenant) == spend_of(served), timeout_s=30)
    spent = dict(zip(("tokens", "usd"), spend_of(served), strict=True))
    costliest = [max(spend_of([r])[i] for r in served) for i in (0, 1)]
    one = dict(zip(("tokens", "usd"), costliest, strict=True))
    for kind, cap in budget.items():
        allowed = cap + max(cap // 100, one[kind])
        ledger.add("budget", overspent=max(0, spent[kind] - cap))
        assert ledger.check("budget", held=spent[kind] <= allowed), (kind, spent, cap, allowed)
    return {"served": len(served), **spent}


@pytest.mark.parametrize("overcount", [1.0, 1.5, 2.0])
@pytest.mark.parametrize(
    "budget",
    [{"usd": 1_000}, {"tokens": 3_000}],
    ids=["usd $0.001", "3,000 tokens"],
)
def test_a_cold_start_stays_within_the_bound_up_to_the_initial_factor(
    gateway: tuple[Starlette, str],
    redis_url: str,
    make_tenant: Callable[..., Tenant],
    sandbox: SandboxControl,
    ledger: Ledger,
    overcount: float,
    budget: dict[str, int],
) -> None:
    sandbox.arm_fault("openai", f"overcount={overcount}")
    tenant = make_tenant(
        monthly_usd_budget=budget.get("usd"), monthly_token_budget=budget.get("tokens")
    )
    _, url = gateway

    responses = fire(url, tenant.key, CONCURRENCY)

    check_the_bound(redis_url, tenant, responses, ledger, **budget)


def test_a_provider_counting_three_times_is_learned_and_the_bound_holds(
    gateway: tuple[Starlette, str],
    redis_url: str,
    make_tenant: Callable[..., Tenant],
    sandbox: SandboxControl,
    ledger: Ledger,
) -> None:
    sandbox.arm_fault("openai", "overcount=3")
    app, url = gateway
    factors = app.state.gateway.pipeline.factors
    teacher = make_tenant("Teacher")  # no budget: its answers teach the model's factor
    for _ in range(3):
        assert fire(url, teacher.key, 1)[0].status_code == 200
    wait_for(lambda: factors.of(f"openai/{MODEL}") >= 3.0, timeout_s=30)
    tenant = make_tenant(monthly_usd_budget=10_000, monthly_token_budget=30_000)

    responses = fire(url, tenant.key, CONCURRENCY)

    figures = check_the_bound(redis_url, tenant, responses, ledger, usd=10_000, tokens=30_000)
    assert figures["served"] >= 2
