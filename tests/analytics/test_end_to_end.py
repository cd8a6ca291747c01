"""End to end: requests through the gateway → request_logs and usage_daily, to the micro-dollar.

The figures each response reported (its usage, and its cost in `x-routerai-cost-usd`, or
for a stream in the trailing `: x-routerai-cost-usd` comment) must be exactly what the
log rows hold and what the organization's daily totals add up to.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import openai
import orjson
import pytest
import redis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.analytics.queries import usage_totals
from gateway.analytics.rollup import rollup_dirty
from gateway.db.models import RequestLog
from gateway.db.sessions import tenant_session
from tests.gateway.conftest import Tenant
from workers.ingest import IngestConfig, ensure_group, ingest_once

HELLO = [{"role": "user", "content": "Count to three."}]
STREAM_COST = re.compile(rb"^: x-routerai-cost-usd (\S+)$", re.M)


def micro(dollars: str | bytes) -> int:
    return int(Decimal(dollars.decode() if isinstance(dollars, bytes) else dollars) * 1_000_000)


def streamed(gateway_url: str, key: str, model: str) -> tuple[str, dict[str, int], int]:
    """One streamed request read raw: its id, usage and the cost of its trailing comment."""
    body = {"model": model, "messages": HELLO, "stream": True}
    body["stream_options"] = {"include_usage": True}
    headers = {"Authorization": f"Bearer {key}"}
    response = httpx.post(f"{gateway_url}/v1/chat/completions", json=body, headers=headers)
    events = [line[6:] for line in response.content.splitlines() if line.startswith(b"data: {")]
    usage = orjson.loads(events[-1])["usage"]
    [cost] = STREAM_COST.findall(response.content)
    return response.headers["x-request-id"], usage, micro(cost)


def ingest_and_roll_up(redis_url: str, engine: Engine, expected: int) -> None:
    stream = redis.Redis.from_url(redis_url)
    ensure_group(stream, IngestConfig())
    written = 0
    for _ in range(100):
        written += ingest_once(stream, engine, "test", block=False)
        if written >= expected:
            break
        time.sleep(0.05)
    rollup_dirty(engine, stream, now=datetime.now(UTC))
    stream.close()


def test_requests_become_exact_rows_and_daily_totals(
    client: openai.OpenAI, tenant: Tenant, gateway_url: str, engine: Engine, redis_url: str
) -> None:
    served: dict[str, tuple[int, int, int, str]] = {}  # id → prompt, completion, cost, model
    for model in ("gpt-4o", "gpt-4o-mini", "gpt-4o-mini"):
        raw = client.chat.completions.with_raw_response.create(model=model, messages=HELLO)
        usage = raw.parse().usage
        assert usage is not None
        cost = micro(raw.headers["x-routerai-cost-usd"])
        served[raw.headers["x-request-id"]] = (
            usage.prompt_tokens, usage.completion_tokens, cost, raw.headers["x-routerai-model"]
        )  # fmt: skip
    request_id, usage, cost = streamed(gateway_url, tenant.key, "gpt-4o")
    served[request_id] = (usage["prompt_tokens"], usage["completion_tokens"], cost, "gpt-4o")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=HELLO)

    ingest_and_roll_up(redis_url, engine, expected=len(served) + 1)

    org_id = tenant.org.id
    with tenant_session(engine, org_id) as session:
        rows = {
            r.request_id: r
            for r in session.exec(select(RequestLog).where(RequestLog.org_id == org_id))
        }
        today = datetime.now(UTC).date()
        totals = usage_totals(session, org_id=org_id, first=today.replace(day=1), last=today)
    assert len(rows) == len(served) + 1
    for request_id, (prompt, completion, cost, _) in served.items():
        row = rows[request_id]
        assert (row.prompt_tokens, row.completion_tokens, row.cost) == (prompt, completion, cost)

    assert totals.requests == len(served) + 1
    assert totals.errors == 1
    assert totals.prompt_tokens == sum(p for p, _, _, _ in served.values())
    assert totals.completion_tokens == sum(c for _, c, _, _ in served.values())
    assert totals.cost == sum(cost for _, _, cost, _ in served.values())
    assert totals.cost > 0
    assert totals.baseline_cost == sum(row.baseline_cost for row in rows.values())
    per_model: Counter[str] = Counter()
    for _, _, cost, model in served.values():
        per_model[model] += cost
    assert {model: entry["cost"] for model, entry in totals.by_model.items()} == per_model
    assert totals.by_provider["openai"]["requests"] == len(served)
