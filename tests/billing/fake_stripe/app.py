"""The fake's HTTP face: Stripe's v1 wire protocol for the endpoints RouterAI uses.

- Bearer auth against the fake's secret key (401 otherwise).
- Form-encoded params (query string for GET, body for POST); JSON answers.
- Idempotency-Key on POST: the same key with the same params replays the first
  answer (`Idempotent-Replayed: true`); with different params it is a 400
  `idempotency_error`. Injected faults happen before the request executes, so
  nothing is saved for them, except `after_processing` ones, which lose the answer
  of a request that did execute (a retry with the same key gets the saved one).
- Faults (500, 429 rate limit, 402 card declined) and holds (the answer waits
  until released, so a client can be killed mid-request) are armed by tests.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.billing.fake_stripe.billing import Billing, card_declined
from tests.billing.fake_stripe.catalog import Catalog
from tests.billing.fake_stripe.forms import decode_form
from tests.billing.fake_stripe.state import ApiError, Obj, State

Handler = Callable[..., Obj]

FAULTS: dict[str, Callable[[], ApiError]] = {
    "server_error": lambda: ApiError(500, "An unknown error occurred", type="api_error"),
    "rate_limit": lambda: ApiError(
        429, "Too many requests hit the API too quickly.", code="rate_limit"
    ),
    "card_declined": card_declined,
}


@dataclass
class Fault:
    method: str
    path: str
    kind: str
    times: int
    after_processing: bool = False


@dataclass
class Hold:
    """Holds the answer of the next matching request until `release` is set."""

    method: str
    path: str
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    params: Obj
    idempotency_key: str | None
    status: int
    replayed: bool


@dataclass
class Controls:
    """What tests arm and read: faults, holds, the request log, saved idempotent answers."""

    faults: list[Fault] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    idempotent: dict[str, tuple[str, int, Obj]] = field(default_factory=dict)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and path.startswith(fault.path) and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def take_hold(self, method: str, path: str) -> Hold | None:
        for hold in self.holds:
            if hold.method == method and path.startswith(hold.path) and not hold.reached.is_set():
                hold.reached.set()
                return hold
        return None


def routes(catalog: Catalog, billing: Billing) -> list[tuple[str, re.Pattern[str], Handler]]:
    table: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/products", lambda p: catalog.create_product(p)),
        ("GET", "/v1/products/(?P<id>[^/]+)", lambda p, id: catalog.retrieve_product(id)),
        ("POST", "/v1/products/(?P<id>[^/]+)", lambda p, id: catalog.update_product(id, p)),
        ("GET", "/v1/prices", lambda p: catalog.list_prices(p)),
        ("POST", "/v1/prices", lambda p: catalog.price_json(catalog.create_price(p))),
        ("POST", "/v1/prices/(?P<id>[^/]+)", lambda p, id: catalog.update_price(id, p)),
        ("GET", "/v1/billing/meters", lambda p: catalog.list_meters(p)),
        ("POST", "/v1/billing/meters", lambda p: catalog.create_meter(p)),
        (
            "GET",
            "/v1/billing/meters/(?P<id>[^/]+)/event_summaries",
            lambda p, id: catalog.event_summaries(id, p),
        ),
        (
            "POST",
            "/v1/billing/meters/(?P<id>[^/]+)/reactivate",
            lambda p, id: catalog.set_meter_status(id, "active"),
        ),
        (
            "POST",
            "/v1/billing/meters/(?P<id>[^/]+)/deactivate",
            lambda p, id: catalog.set_meter_status(id, "inactive"),
        ),
        ("POST", "/v1/billing/meters/(?P<id>[^/]+)", lambda p, id: catalog.update_meter(id, p)),
        ("POST", "/v1/billing/meter_events", lambda p: catalog.create_meter_event(p)),
        ("POST", "/v1/customers", lambda p: billing.create_customer(p)),
        ("GET", "/v1/customers/(?P<id>[^/]+)", lambda p, id: billing.retrieve_customer(id)),
        ("POST", "/v1/checkout/sessions", lambda p: billing.create_checkout_session(p)),
        (
            "GET",
            "/v1/checkout/sessions/(?P<id>[^/]+)",
            lambda p, id: billing.retrieve_checkout_session(id),
        ),
        ("POST", "/v1/billing_portal/sessions", lambda p: billing.create_portal_session(p)),
        (
            "GET",
            "/v1/subscriptions/(?P<id>[^/]+)",
            lambda p, id: billing.subscription_json(id),
        ),
        (
            "POST",
            "/v1/subscriptions/(?P<id>[^/]+)",
            lambda p, id: billing.update_subscription(id, p),
        ),
        ("GET", "/v1/invoices/(?P<id>[^/]+)", lambda p, id: billing.retrieve_invoice(id)),
    ]
    return [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in table]


def build_app(state: State, billing: Billing, controls: Controls, api_key: str) -> Starlette:
    table = routes(billing.catalog, billing)

    def execute(method: str, path: str, params: Obj) -> tuple[int, Obj]:
        for route_method, pattern, handler in table:
            match = pattern.match(path)
            if route_method == method and match:
                try:
                    with state.lock:
                        return 200, handler(params, **match.groupdict())
                except ApiError as exc:
                    return exc.status, exc.body
        return 404, ApiError(404, f"Unrecognized request URL ({method}: {path}).").body

    async def endpoint(request: Request) -> Response:
        method, path = request.method, request.url.path
        if request.headers.get("authorization") != f"Bearer {api_key}":
            error = ApiError(401, "Invalid API Key provided.")
            return _answer(controls, method, path, {}, None, error.status, error.body)
        raw = request.url.query if method == "GET" else (await request.body()).decode()
        params = decode_form(raw)
        key = request.headers.get("idempotency-key") if method == "POST" else None
        fault = controls.take_fault(method, path)
        if fault is not None and not fault.after_processing:
            error = FAULTS[fault.kind]()
            return _answer(controls, method, path, params, key, error.status, error.body)
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        saved = controls.idempotent.get(key) if key else None
        if saved is not None:
            if saved[0] != fingerprint:
                error = ApiError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                    type="idempotency_error",
                )
                return _answer(controls, method, path, params, key, error.status, error.body)
            return _answer(controls, method, path, params, key, saved[1], saved[2], replayed=True)
        status, body = execute(method, path, params)
        if key:
            controls.idempotent[key] = (fingerprint, status, body)
        hold = controls.take_hold(method, path)
        if hold is not None:
            await asyncio.to_thread(hold.release.wait, 30)
        if fault is not None:
            error = FAULTS[fault.kind]()
            return _answer(controls, method, path, params, key, error.status, error.body)
        return _answer(controls, method, path, params, key, status, body)

    return Starlette(routes=[Route("/v1/{rest:path}", endpoint, methods=["GET", "POST"])])


def _answer(
    controls: Controls,
    method: str,
    path: str,
    params: Obj,
    key: str | None,
    status: int,
    body: Any,
    *,
    replayed: bool = False,
) -> Response:
    controls.requests.append(Recorded(method, path, params, key, status, replayed))
    headers = {"request-id": f"req_fake{len(controls.requests)}"}
    if replayed:
        headers["idempotent-replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)
