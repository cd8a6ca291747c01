"""Billing fixtures: a fake Stripe on 127.0.0.1, settings pointing the SDK at it, request logs.

- `fake_stripe`: a fresh `FakeStripe` server for the test
- `billing_settings`: Settings on the test database and Redis, the SDK aimed at the fake
- `stripe_sdk`: the product's StripeClient (gateway.billing.client) aimed at the fake
- `synced_stripe`: `stripe_sdk` after `routerai stripe sync`
- `add_usage`: writes request-log rows (what ingestion would have written)
- `webhook_url`: the webhook endpoint served on 127.0.0.1 (and set as the fake's target)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest
import redis.asyncio as aioredis
import stripe
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.billing.client import stripe_client
from gateway.billing.endpoint import stripe_webhook_endpoint
from gateway.billing.sync import sync_catalog
from gateway.db.enums import CacheStatus
from gateway.db.models import RequestLog
from gateway.db.sessions import tenant_session
from gateway.settings import Settings
from tests.billing.fake_stripe import FakeStripe
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import make_tenant, settings_for  # noqa: F401 (fixtures)


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


def billing_overrides(fake: FakeStripe) -> dict[str, Any]:
    return {
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
        "STRIPE_API_BASE": fake.url,
        "ROUTERAI_PUBLIC_URL": "https://app.routerai.test",
    }


@pytest.fixture
def billing_settings(engine: Engine, redis_url: str, fake_stripe: FakeStripe) -> Settings:
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REDIS_URL=redis_url,
        ROUTERAI_ENV="test",
        **billing_overrides(fake_stripe),
    )


@pytest.fixture
def stripe_sdk(fake_stripe: FakeStripe) -> stripe.StripeClient:
    """The product's StripeClient aimed at the fake, without SDK retries (tests add them)."""
    settings = Settings(ROUTERAI_ENV="test", **billing_overrides(fake_stripe))
    return stripe_client(settings, max_network_retries=0)


@pytest.fixture
def synced_stripe(stripe_sdk: stripe.StripeClient) -> stripe.StripeClient:
    sync_catalog(stripe_sdk)
    return stripe_sdk


@pytest.fixture
def add_usage(engine: Engine) -> Callable[..., None]:
    """add_usage(org_id, at, tokens, cost_micro=0, provider=, source=, cache_status=)."""

    def add(
        org_id: uuid.UUID,
        at: datetime,
        tokens: int,
        cost_micro: int = 0,
        *,
        provider: str | None = "openai",
        source: str | None = None,
        cache_status: str = "miss",
    ) -> None:
        with tenant_session(engine, org_id) as session:
            session.add(
                RequestLog(
                    request_id=uuid.uuid4().hex,
                    org_id=org_id,
                    created_at=at,
                    provider=provider,
                    model_requested="gpt-4o-mini",
                    model_used="gpt-4o-mini" if provider else None,
                    prompt_tokens=tokens // 2,
                    completion_tokens=tokens - tokens // 2,
                    total_tokens=tokens,
                    cost=cost_micro,
                    cache_status=CacheStatus(cache_status),
                    routing={"chosen": f"{provider}/gpt-4o-mini", "source": source}
                    if source
                    else None,
                )
            )

    return add


def webhook_app(settings: Settings, engine: Engine) -> Starlette:
    """A Starlette app with only the webhook route, mounted as the lead mounts it."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        assert settings.redis_url
        client = aioredis.Redis.from_url(settings.redis_url)
        app.state.endpoint = stripe_webhook_endpoint(settings, engine, client)
        yield
        await client.aclose()

    async def webhook(request: Request) -> Response:
        response: Response = await request.app.state.endpoint(request)
        return response

    return Starlette(
        routes=[Route("/webhooks/stripe", webhook, methods=["POST"])], lifespan=lifespan
    )


@pytest.fixture
def webhook_url(
    billing_settings: Settings, engine: Engine, fake_stripe: FakeStripe
) -> Iterator[str]:
    with serve_in_thread(webhook_app(billing_settings, engine)) as url:
        fake_stripe.webhook_url = f"{url}/webhooks/stripe"
        yield fake_stripe.webhook_url
