"""The cache seen from the client: hits cost nothing, streams replay, tenants never share."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest
import redis

from gateway.cache.store import namespace
from gateway.sandbox.control_client import SandboxControl
from tests.gateway.conftest import Tenant

pytestmark = pytest.mark.embedded_redis_too

ASK = [{"role": "user", "content": "What is the capital of France?"}]


def wait_for_entries(redis_client: redis.Redis, tenant: Tenant, count: int) -> None:
    """Answers are stored just after they are sent: wait (bounded) until they are."""
    expiry = f"{namespace(str(tenant.org.id))}exp"
    for _ in range(100):
        if redis_client.zcard(expiry) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the cache did not store {count} entries")


def ask(client: openai.OpenAI, **extra: object) -> openai.APIResponse:  # type: ignore[type-arg]
    return client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=ASK, temperature=0, **extra
    )


def test_a_repeated_request_is_an_exact_hit_that_costs_nothing(
    client: openai.OpenAI, sandbox: SandboxControl, tenant: Tenant, redis_client: redis.Redis
) -> None:
    first = ask(client)
    assert first.headers["x-routerai-cache"] == "miss"
    assert float(first.headers["x-routerai-cost-usd"]) > 0
    wait_for_entries(redis_client, tenant, 1)
    second = ask(client)
    assert second.headers["x-routerai-cache"] == "exact"
    assert second.headers["x-routerai-cost-usd"] == "0.000000"
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert sandbox.requests_to("openai") == 1


def test_a_cached_answer_to_a_stream_is_replayed_as_a_stream(
    client: openai.OpenAI, sandbox: SandboxControl, tenant: Tenant, redis_client: redis.Redis
) -> None:
    answer = ask(client).parse().choices[0].message.content
    wait_for_entries(redis_client, tenant, 1)
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=ASK,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len(chunks) > 3  # chunked, not one blob
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == answer
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in chunks)
    assert chunks[-1].usage is not None
    assert sandbox.requests_to("openai") == 1


def test_no_cache_header_bypasses(
    client: openai.OpenAI, sandbox: SandboxControl, tenant: Tenant, redis_client: redis.Redis
) -> None:
    ask(client)
    wait_for_entries(redis_client, tenant, 1)
    again = ask(client, extra_headers={"Cache-Control": "no-cache"})
    assert again.headers["x-routerai-cache"] == "bypass"
    assert sandbox.requests_to("openai") == 2


def test_tenants_never_share_entries(
    gateway_url: str,
    make_tenant: Callable[..., Tenant],
    sandbox: SandboxControl,
    redis_client: redis.Redis,
) -> None:
    one, two = make_tenant(name="One"), make_tenant(name="Two")
    for tenant in (one, two):
        sdk = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
        assert ask(sdk).headers["x-routerai-cache"] == "miss"
        wait_for_entries(redis_client, tenant, 1)
    assert sandbox.requests_to("openai") == 2
