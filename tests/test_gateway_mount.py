"""The gateway in front of the web app: its paths answered before any of Reflex's layers,
CORS kept as Reflex answers it, everything else (the lifespan included) left to Reflex."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from routerai_app.gateway_mount import gateway_in_front

ORIGIN = "https://app.example"


async def answered_by_gateway(request: Request) -> PlainTextResponse:
    return PlainTextResponse("gateway")


async def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("page")


class ReflexLayer:
    """Stands for Reflex's own middleware: marks every response that went through it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-layer", b"reflex")]
            await send(message)

        await self.app(scope, receive, marked if scope["type"] == "http" else send)


GATEWAY = Starlette(
    routes=[
        Route("/v1/chat/completions", answered_by_gateway, methods=["POST"]),
        Route("/health", answered_by_gateway),
    ]
)
REFLEX = Starlette(routes=[Route("/{path:path}", page)], middleware=[Middleware(ReflexLayer)])
APP = gateway_in_front(GATEWAY, ("/v1/",), REFLEX, cors_origins=["*"])


@pytest.fixture
async def client() -> Any:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://routerai.test") as http:
        yield http


async def test_the_gateways_paths_skip_reflexs_layers(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/chat/completions", json={})
    assert answer.text == "gateway" and "x-layer" not in answer.headers
    health = await client.get("/health")  # a gateway route outside its prefix
    assert health.text == "gateway" and "x-layer" not in health.headers
    unknown = await client.get("/v1/no-such-endpoint")  # the gateway's 404, not a page
    assert unknown.status_code == 404 and "x-layer" not in unknown.headers


async def test_everything_else_goes_through_reflex(client: httpx.AsyncClient) -> None:
    for path in ("/", "/dashboard", "/v1"):
        answer = await client.get(path)
        assert answer.text == "page" and answer.headers["x-layer"] == "reflex"


async def test_browsers_may_call_the_api_as_reflex_let_them(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/v1/chat/completions",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in (ORIGIN, "*")
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = await client.post("/v1/chat/completions", json={}, headers={"origin": ORIGIN})
    assert answer.text == "gateway"
    assert answer.headers["access-control-allow-origin"] in (ORIGIN, "*")


async def test_the_lifespan_stays_with_reflex() -> None:
    seen: list[str] = []

    async def reflex(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    # Were it the gateway's, its Starlette app would start asking `receive` for events.
    fronted = gateway_in_front(GATEWAY, ("/v1/",), reflex, cors_origins=["*"])
    await fronted({"type": "lifespan"}, _never, _never)
    assert seen == ["lifespan"]


async def _never(*args: Any) -> Any:
    raise AssertionError("not called")
