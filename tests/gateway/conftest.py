"""A real gateway on 127.0.0.1 in front of the sandbox, and tenants with keys, for API tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.api.app import create_app
from gateway.budget.period import budget_period_at
from gateway.budget.redis_store import RedisAdmissionStore
from gateway.db.models import Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.settings import Settings
from gateway.tenancy.keys import create_api_key
from tests.fixtures.servers import serve_in_thread


@dataclass(frozen=True)
class Tenant:
    org: Organization
    key: str
    key_id: str


def settled_spend(redis_url: str, tenant: Tenant) -> tuple[int, int]:
    """(tokens, micro-USD) settled in the tenant's current budget period, as Redis holds it."""

    async def read() -> tuple[int, int]:
        client = aioredis.Redis.from_url(redis_url)
        try:
            period = budget_period_at(time.time(), tenant.org.budget_reset_day)
            return await RedisAdmissionStore(client).spend(str(tenant.org.id), period.id)
        finally:
            await client.aclose()

    return asyncio.run(read())


@pytest.fixture
def settings_for(engine: Engine, redis_url: str, sandbox_url: str) -> Callable[..., Settings]:
    """Gateway settings on the test database, Redis and sandbox, with overrides."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "REDIS_URL": redis_url,
            "ROUTERAI_SANDBOX_URL": sandbox_url,
            "ROUTERAI_ENV": "test",
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def gateway_settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for()


@pytest.fixture
def gateway_url(gateway_settings: Settings) -> Iterator[str]:
    with serve_in_thread(create_app(gateway_settings)) as url:
        yield url


@pytest.fixture
def make_tenant(engine: Engine, make_org: Callable[..., Organization]) -> Callable[..., Tenant]:
    """make_tenant(plan="growth", **organization fields) → an organization with one key."""

    def make(name: str = "Acme", plan: str = "growth", **fields: Any) -> Tenant:
        org = make_org(name=name, plan=plan)
        if fields:
            with system_session(engine) as session:
                for field, value in fields.items():
                    setattr(org, field, value)
                session.add(org)
        with tenant_session(engine, org.id) as session:
            key, full = create_api_key(session, org=org, name="test", environment="prod")
        return Tenant(org, full, str(key.id))

    return make


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant()


@pytest.fixture
def client(gateway_url: str, tenant: Tenant) -> Iterator[openai.OpenAI]:
    """The official OpenAI SDK, strict response validation on, pointed at the gateway."""
    sdk = openai.OpenAI(
        base_url=f"{gateway_url}/v1",
        api_key=tenant.key,
        max_retries=0,
        _strict_response_validation=True,
    )
    yield sdk
    sdk.close()
