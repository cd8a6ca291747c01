"""Security headers on the web app's responses, and the event socket's origin check."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from routerai_app.web_security import WebSecurity, origin_of

PUBLIC_URL = "https://app.routerai.example"


async def page(_: Request) -> PlainTextResponse:
    return PlainTextResponse("hello", headers={"referrer-policy": "no-referrer"})


async def event_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("connected")
    await websocket.close()


def web_app(public_url: str = PUBLIC_URL) -> WebSecurity:
    inner = Starlette(
        routes=[
            Route("/dashboard", page),
            Route("/_event/", page, methods=["GET", "POST"]),
            WebSocketRoute("/_event/", event_socket),
        ]
    )
    return WebSecurity(inner, public_url)


async def get(app: WebSecurity, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get(path, headers=headers)


async def test_pages_get_the_security_headers_and_keep_their_own() -> None:
    response = await get(web_app(), "/dashboard")

    assert response.text == "hello"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"].startswith("max-age=")
    # A header the page set itself is not overridden or doubled.
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]


async def test_no_hsts_when_the_site_is_served_over_plain_http() -> None:
    response = await get(web_app("http://localhost:3000"), "/dashboard")
    assert "strict-transport-security" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "origin",
    ["http://testserver", "https://testserver", PUBLIC_URL, "HTTPS://APP.ROUTERAI.EXAMPLE"],
)
def test_the_event_socket_admits_its_own_origins(origin: str) -> None:
    with TestClient(web_app()).websocket_connect("/_event/", headers={"origin": origin}) as ws:
        assert ws.receive_text() == "connected"


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://testserver.evil.example", "null"]
)
def test_the_event_socket_refuses_another_sites_page(origin: str) -> None:
    client = TestClient(web_app())
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/_event/", headers={"origin": origin}),
    ):
        pass
    assert refused.value.code == 1008


async def test_a_cross_origin_http_request_to_the_event_path_is_refused() -> None:
    refused = await get(web_app(), "/_event/", origin="https://evil.example")
    admitted = await get(web_app(), "/_event/", origin=PUBLIC_URL)
    assert (refused.status_code, admitted.status_code) == (403, 200)


def test_origin_of_keeps_scheme_host_and_port() -> None:
    assert origin_of("https://App.Example:8443/path?q=1") == "https://app.example:8443"
    assert origin_of("not a url") == ""
