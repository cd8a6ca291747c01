"""Guarantees that hold across gateway processes sharing one Redis."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable

import httpx
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.billing.plans import PlanName
from gateway.budget import factors
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.settings import Settings
from gateway.tenancy.changes import forget_org
from tests.gateway.conftest import Tenant, settled_spend
from tests.gateway.processes import gateway_processes

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}


async def fire_all(
    urls: list[str], key: str, count: int, body: dict[str, object] = BODY
) -> list[httpx.Response]:
    """`count` concurrent requests spread over the gateway processes."""
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        calls = [
            client.post(
                f"{urls[i % len(urls)]}/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
            )
            for i in range(count)
        ]
        return list(await asyncio.gather(*calls))


def fire(urls: list[str], key: str, count: int) -> list[int]:
    return [response.status_code for response in asyncio.run(fire_all(urls, key, count))]


def test_a_rate_limit_holds_exactly_across_two_processes(
    gateway_settings: Settings, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(rpm_limit=50)
    with gateway_processes(gateway_settings) as urls:
        statuses = Counter(fire(urls, tenant.key, 200))
    assert statuses == {200: 50, 429: 150}


def test_a_budget_is_never_overspent_under_concurrency(
    gateway_settings: Settings, redis_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    cap = 10 * 28
    # Each request reserves its prompt (8 tokens, times the prompt factor of a model not yet
    # seen) and max_tokens (20), the last one lowered to what is left.
    affordable = cap // (math.ceil(8 * factors.INITIAL) + 20)
    tenant = make_tenant(monthly_token_budget=cap)
    with gateway_processes(gateway_settings) as urls:
        responses = asyncio.run(fire_all(urls, tenant.key, 100))
        time.sleep(1)  # settlements run just after each response is sent
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(served) >= affordable and len(served) + len(refused) == 100
    assert {r.json()["error"]["code"] for r in refused} == {"insufficient_quota"}
    tokens, _ = settled_spend(redis_url, tenant)
    assert tokens == sum(r.json()["usage"]["total_tokens"] for r in served)
    assert tokens <= cap


def test_a_revoked_key_is_refused_by_every_process_within_two_seconds(
    gateway_settings: Settings, tenant: Tenant
) -> None:
    from routerai.admin import revoke_key

    with gateway_processes(gateway_settings) as urls:
        assert fire(urls, tenant.key, 4) == [200] * 4  # both processes now cache the tenant
        revoke_key(gateway_settings, key_id=uuid.UUID(tenant.key_id), org=str(tenant.org.id))
        time.sleep(2)
        assert fire(urls, tenant.key, 4) == [401] * 4


def test_a_plan_change_reaches_every_process_within_two_seconds(
    gateway_settings: Settings, tenant: Tenant, engine: Engine, redis_url: str
) -> None:
    async def downgrade() -> None:
        with system_session(engine) as session:
            org = session.get(Organization, tenant.org.id)
            assert org is not None
            org.plan = PlanName.FREE
            session.add(org)
        client = aioredis.Redis.from_url(redis_url)
        try:
            await forget_org(engine, client, tenant.org.id)
        finally:
            await client.aclose()

    def limits(urls: list[str]) -> set[str]:
        # A model of a provider the Free plan includes (its first two, in sandbox mode).
        body = {**BODY, "model": "llama-3.1-8b-instant"}
        responses = asyncio.run(fire_all(urls, tenant.key, 4, body))
        return {r.headers["x-ratelimit-limit-requests"] for r in responses}

    with gateway_processes(gateway_settings) as urls:
        assert limits(urls) == {"600"}  # Growth
        asyncio.run(downgrade())
        time.sleep(2)
        assert limits(urls) == {"20"}  # Free


def test_changes_reach_every_process_with_the_next_request_not_after_its_cache_expires(
    gateway_settings: Settings, tenant: Tenant, engine: Engine, redis_url: str
) -> None:
    """With each process caching contexts for five minutes, only the announcement on the
    tenant-changes channel can carry a plan change and a revocation across in time."""
    from routerai.admin import revoke_key

    long_lived = gateway_settings.model_copy(update={"tenant_cache_ttl_s": 300.0})

    async def downgrade() -> None:
        with system_session(engine) as session:
            org = session.get(Organization, tenant.org.id)
            assert org is not None
            org.plan = PlanName.FREE
            session.add(org)
        client = aioredis.Redis.from_url(redis_url)
        try:
            await forget_org(engine, client, tenant.org.id)
        finally:
            await client.aclose()

    body = {**BODY, "model": "llama-3.1-8b-instant"}  # a model the Free plan includes
    with gateway_processes(long_lived) as urls:
        before = asyncio.run(fire_all(urls, tenant.key, 4, body))
        assert {r.headers["x-ratelimit-limit-requests"] for r in before} == {"600"}
        asyncio.run(downgrade())
        time.sleep(0.2)  # the announcement is asynchronous: a Redis round trip, not a TTL
        after = asyncio.run(fire_all(urls, tenant.key, 4, body))
        assert {r.headers["x-ratelimit-limit-requests"] for r in after} == {"20"}

        revoke_key(long_lived, key_id=uuid.UUID(tenant.key_id), org=str(tenant.org.id))
        time.sleep(0.2)
        assert fire(urls, tenant.key, 4) == [401] * 4
