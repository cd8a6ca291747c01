"""A Free organization hits its cap, upgrades through Checkout, and its next request succeeds.

The gateway and the webhook endpoint are served together, as `create_app` will mount
them; the fake Stripe completes the checkout and delivers the signed webhooks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import openai
import pytest
import redis.asyncio as aioredis
import stripe
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from gateway.api.app import create_app
from gateway.billing.checkout import BillingUrls, start_checkout
from gateway.billing.endpoint import stripe_webhook_endpoint
from gateway.billing.plans import PLANS, PlanName
from gateway.budget.period import budget_period_at
from gateway.budget.redis_store import RedisAdmissionStore
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.settings import Settings
from tests.billing.conftest import billing_overrides
from tests.billing.fake_stripe import FakeStripe
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant

CHAT: dict[str, Any] = {
    "model": "auto",  # the router picks among the providers the plan allows
    "messages": [{"role": "user", "content": "Say hi"}],
    "max_tokens": 16,
}


def gateway_with_webhooks(settings: Settings) -> Starlette:
    gateway_app = create_app(settings)
    gateway = gateway_app.state.gateway

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await gateway.close()

    webhook = stripe_webhook_endpoint(settings, gateway.engine, gateway.redis)
    return Starlette(
        routes=[
            Route("/webhooks/stripe", webhook, methods=["POST"]),
            Mount("/", app=gateway_app),
        ],
        lifespan=lifespan,
    )


@pytest.fixture
def served(
    settings_for: Callable[..., Settings], fake_stripe: FakeStripe
) -> Iterator[tuple[Settings, str]]:
    settings = settings_for(**billing_overrides(fake_stripe))
    with serve_in_thread(gateway_with_webhooks(settings)) as url:
        fake_stripe.webhook_url = f"{url}/webhooks/stripe"
        yield settings, url


def use_up_the_month(redis_url: str, org: Organization, tokens: int) -> None:
    """What a month of earlier traffic leaves in the budget counters."""

    async def seed() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            now = time.time()
            period = budget_period_at(now, org.budget_reset_day)
            store = RedisAdmissionStore(client)
            await store.seed_spend(str(org.id), period.id, tokens, 0, 40 * 86_400)
        finally:
            await client.aclose()

    asyncio.run(seed())


def test_a_free_organization_hits_its_cap_upgrades_and_goes_on_under_the_new_limits(
    engine: Engine,
    served: tuple[Settings, str],
    make_tenant: Callable[..., Tenant],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    redis_url: str,
) -> None:
    settings, url = served
    tenant = make_tenant(name="Acme", plan="free")
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=tenant.key, max_retries=0)

    free = client.chat.completions.with_raw_response.create(**CHAT)
    assert free.headers["x-ratelimit-limit-requests"] == "20"

    use_up_the_month(redis_url, tenant.org, PLANS[PlanName.FREE].included_tokens or 0)
    with pytest.raises(openai.RateLimitError) as capped:
        client.chat.completions.create(**CHAT)
    assert capped.value.code == "insufficient_quota"
    assert "upgrade your plan" in str(capped.value) and "/dashboard/billing" in str(capped.value)

    checkout = start_checkout(
        engine,
        synced_stripe,
        org_id=tenant.org.id,
        plan="starter",
        urls=BillingUrls.for_site(settings.public_url),
    )
    fake_stripe.complete_checkout(fake_stripe.session_for(checkout)["id"])  # + its webhooks
    time.sleep(settings.tenant_cache_ttl_s)  # this process's local cache entry expires

    upgraded = client.chat.completions.with_raw_response.create(**CHAT)
    assert upgraded.http_response.status_code == 200
    assert upgraded.headers["x-ratelimit-limit-requests"] == "120"
    assert upgraded.parse().choices[0].message.content
    with system_session(engine) as session:
        org = session.get(Organization, tenant.org.id)
    assert org is not None and org.plan is PlanName.STARTER
