"""Analytics fixtures: rows written straight to the database, a clock, a webhook receiver."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.db.models import BudgetAlert, Organization, RequestLog
from gateway.db.sessions import tenant_session
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import (  # noqa: F401  (the real gateway, for end-to-end tests)
    client,
    gateway_settings,
    gateway_url,
    make_tenant,
    settings_for,
    tenant,
)

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
_numbers = itertools.count()


def log_row(org: Organization, created_at: datetime, **fields: Any) -> RequestLog:
    """A request_logs row of `org` with plausible defaults (a served gpt-4o-mini call)."""
    values: dict[str, Any] = {
        "request_id": f"req_{next(_numbers)}",
        "org_id": org.id,
        "created_at": created_at,
        "provider": "openai",
        "model_requested": "gpt-4o-mini",
        "model_used": "gpt-4o-mini",
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "cost": 27,
        "baseline_cost": 450,
        "latency_ms": 40,
        "status_code": 200,
        "cache_status": "miss",
    }
    values.update(fields)
    values["total_tokens"] = values["prompt_tokens"] + values["completion_tokens"]
    return RequestLog(**values)


@pytest.fixture
def add_logs(engine: Engine) -> Callable[..., list[RequestLog]]:
    """add_logs(org, created_at, count=1, **fields) → the rows, committed."""

    def add(
        org: Organization, created_at: datetime, count: int = 1, **fields: Any
    ) -> list[RequestLog]:
        rows = [log_row(org, created_at, **fields) for _ in range(count)]
        with tenant_session(engine, org.id) as session:
            session.add_all(rows)
        return rows

    return add


@dataclass
class WebhookReceiver:
    """A notification webhook on 127.0.0.1 that records what it gets; fails when told to."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_next: int = 0

    async def handle(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response(status_code=503)
        return Response(status_code=204)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    with serve_in_thread(app) as url:
        receiver.url = f"{url}/hook"
        yield receiver


def add_alert(engine: Engine, org: Organization, **fields: Any) -> BudgetAlert:
    """A budget_alerts row of `org` (period "2026-11-01", tokens, 50 % unless told)."""
    values: dict[str, Any] = {"period": "2026-11-01", "kind": "tokens", "threshold": 50}
    values |= {"created_at": NOW} | fields
    with tenant_session(engine, org.id) as session:
        alert = BudgetAlert(org_id=org.id, **values)
        session.add(alert)
        session.flush()
        return alert
