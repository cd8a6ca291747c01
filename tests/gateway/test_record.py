"""Stage 7 end to end: requests → usage stream → request_logs, exact to the micro-dollar."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import openai
import pytest
import redis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.db.models import ApiKey, RequestLog
from gateway.db.sessions import tenant_session
from gateway.pricing.catalog import Catalog, cost_micro_usd
from gateway.sandbox.control_client import SandboxControl
from tests.gateway.conftest import Tenant
from workers.ingest import IngestConfig, ensure_group, ingest_once

pytestmark = pytest.mark.embedded_redis_too

HELLO = [{"role": "user", "content": "Count to three."}]


def drain(redis_url: str, engine: Engine, expected: int) -> None:
    client = redis.Redis.from_url(redis_url)
    ensure_group(client, IngestConfig())
    written = 0
    for _ in range(50):
        written += ingest_once(client, engine, "test", block=False)
        if written >= expected:
            break
        time.sleep(0.05)
    client.close()


def logs(engine: Engine, org_id: uuid.UUID) -> list[RequestLog]:
    with tenant_session(engine, org_id) as session:
        rows = session.exec(select(RequestLog).where(RequestLog.org_id == org_id)).all()
        return sorted(rows, key=lambda row: row.created_at)


def test_every_request_becomes_one_exact_row(
    client: openai.OpenAI, tenant: Tenant, engine: Engine, redis_url: str
) -> None:
    served: dict[str, Any] = {}
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=HELLO)
    served[raw.headers["x-request-id"]] = (raw.parse().usage, raw.headers, False)
    stream = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream.parse())
    served[stream.headers["x-request-id"]] = (chunks[-1].usage, stream.headers, True)
    try:
        client.chat.completions.create(model="nope", messages=HELLO)
    except openai.NotFoundError as exc:
        rejected_id = exc.response.headers["x-request-id"]
    drain(redis_url, engine, expected=3)
    rows = {row.request_id: row for row in logs(engine, tenant.org.id)}
    assert set(rows) == {*served, rejected_id}
    catalog = Catalog()
    for request_id, (usage, headers, streamed) in served.items():
        row = rows[request_id]
        model = catalog.get(headers["x-routerai-provider"], headers["x-routerai-model"])
        assert model is not None
        assert (row.prompt_tokens, row.completion_tokens) == (
            usage.prompt_tokens,
            usage.completion_tokens,
        )
        assert row.cost == cost_micro_usd(model, usage.prompt_tokens, usage.completion_tokens)
        baseline = catalog.get("openai", "gpt-4o")
        assert baseline is not None
        assert row.baseline_cost == cost_micro_usd(
            baseline, usage.prompt_tokens, usage.completion_tokens
        )
        assert row.status_code == 200 and row.streamed is streamed
        assert row.api_key_id == uuid.UUID(tenant.key_id)
        assert row.provider == "openai" and row.model_requested in ("gpt-4o", "gpt-4o-mini")
        assert row.latency_ms >= 0
    assert rows[rejected_id].status_code == 404
    assert rows[rejected_id].error_type == "model_not_found"
    with tenant_session(engine, tenant.org.id) as session:
        key = session.get(ApiKey, uuid.UUID(tenant.key_id))
        assert key is not None and key.last_used_at is not None


def test_ingestion_is_idempotent_on_request_id(
    client: openai.OpenAI, tenant: Tenant, engine: Engine, redis_url: str
) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    drain(redis_url, engine, expected=1)
    row = logs(engine, tenant.org.id)[0]
    replay = redis.Redis.from_url(redis_url)
    replay.xadd(
        "gw:usage",
        {
            "request_id": row.request_id,
            "org_id": str(tenant.org.id),
            "key_id": tenant.key_id,
            "created_at_ms": 1,
            "prompt_tokens": 999,
            "status": 200,
        },
    )
    drain(redis_url, engine, expected=1)
    rows = logs(engine, tenant.org.id)
    assert len(rows) == 1 and rows[0].prompt_tokens == row.prompt_tokens
    assert replay.xlen("gw:usage") == 0
    replay.close()


def test_the_routing_decision_and_fallbacks_are_recorded(
    client: openai.OpenAI, tenant: Tenant, engine: Engine, redis_url: str, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("groq", "error=503", count=1)
    raw = client.chat.completions.with_raw_response.create(model="llama-3.3-70b", messages=HELLO)
    drain(redis_url, engine, expected=1)
    (row,) = logs(engine, tenant.org.id)
    assert row.request_id == raw.headers["x-request-id"]
    assert row.routing is not None
    assert row.routing["chosen"] == "together/meta-llama/Llama-3.3-70B-Instruct-Turbo"
    assert row.routing["attempts"] == 2
    assert row.routing["fallbacks"] == [
        {"candidate": "groq/llama-3.3-70b-versatile", "error": "upstream_unavailable"}
    ]
    assert {c["target"] for c in row.routing["candidates"]} >= {
        "groq/llama-3.3-70b-versatile",
        "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    }


def test_a_refused_request_records_its_route(
    gateway_url: str, make_tenant: Callable[..., Tenant], engine: Engine, redis_url: str
) -> None:
    tenant = make_tenant(monthly_token_budget=5)  # not even the prompt fits
    client = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=500)
    drain(redis_url, engine, expected=1)
    (row,) = logs(engine, tenant.org.id)
    assert row.request_id == caught.value.response.headers["x-request-id"]
    assert row.status_code == 429 and row.error_type == "insufficient_quota"
    assert row.routing is not None  # ranked while Redis refused it
    assert row.routing["chosen"] == "openai/gpt-4o-mini"
    assert [c["target"] for c in row.routing["candidates"]] == ["openai/gpt-4o-mini"]
