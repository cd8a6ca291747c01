"""The running web app: security headers on its pages, and an event socket that only its
own pages may open (another site's page cannot act as a signed-in visitor)."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.journeys import run_async

pytestmark = pytest.mark.e2e

SOCKET_PATH = "/_event/?EIO=4&transport=websocket"


@pytest.mark.parametrize("path", ["/", "/login", "/dashboard"])
def test_pages_carry_the_security_headers(web_url: str, path: str) -> None:
    with urllib.request.urlopen(f"{web_url}{path}", timeout=10) as response:
        headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_gateway_api_is_left_as_the_gateway_answers(web_url: str) -> None:
    with urllib.request.urlopen(f"{web_url}/health", timeout=10) as response:
        assert "x-frame-options" not in response.headers


def test_browsers_may_call_the_gateway_api_from_other_origins(web_url: str) -> None:
    preflight = urllib.request.Request(
        f"{web_url}/v1/chat/completions",
        method="OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    with urllib.request.urlopen(preflight, timeout=10) as response:
        assert response.status == 200
        assert response.headers["access-control-allow-origin"] in ("https://app.example", "*")
        assert "x-frame-options" not in response.headers  # the gateway's, not a page's


async def first_frame(url: str, origin: str) -> str:
    async with websockets.connect(url, origin=origin, open_timeout=10) as socket:  # type: ignore[arg-type]
        return str(await asyncio.wait_for(socket.recv(), timeout=10))


def test_the_event_socket_opens_for_the_sites_own_pages_only(web_url: str) -> None:
    url = web_url.replace("http://", "ws://") + SOCKET_PATH

    # Engine.IO's open packet ("0{...}") is the first frame of an admitted socket.
    assert run_async(first_frame(url, web_url)).startswith("0")
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        run_async(first_frame(url, "https://evil.example"))
