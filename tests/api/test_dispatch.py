"""`GatewayApp`: the direct endpoints answer as they would through Starlette's stack."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gateway.api.dispatch import GatewayApp


async def echo(request: Request) -> Response:
    body = (await request.body()).decode()
    return JSONResponse({"body": body, "routed": "route" in request.scope})


async def broken(request: Request) -> Response:
    raise RuntimeError("boom")


def internal_error() -> Response:
    return JSONResponse({"error": {"type": "api_error"}}, status_code=500)


def app() -> GatewayApp:
    return GatewayApp(
        direct={("POST", "/v1/echo"): echo, ("POST", "/v1/broken"): broken},
        internal_error=internal_error,
        routes=[
            Route("/v1/echo", echo, methods=["POST"]),
            Route("/v1/broken", broken, methods=["POST"]),
        ],
    )


def test_a_direct_endpoint_skips_the_router() -> None:
    response = TestClient(app()).post("/v1/echo", content=b"hello")
    assert response.status_code == 200
    assert response.json() == {"body": "hello", "routed": False}


def test_other_methods_and_paths_take_the_starlette_stack() -> None:
    client = TestClient(app())
    assert client.get("/v1/echo").status_code == 405
    assert client.post("/v1/echo/").json()["body"] == ""  # redirected by the router
    assert client.post("/v1/nothing").status_code == 404


def test_a_root_path_takes_the_starlette_stack() -> None:
    response = TestClient(app(), root_path="/api").post("/api/v1/echo", content=b"x")
    assert response.json() == {"body": "x", "routed": True}


def test_an_unexpected_error_is_answered_then_raised() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        TestClient(app()).post("/v1/broken")
    response = TestClient(app(), raise_server_exceptions=False).post("/v1/broken")
    assert response.status_code == 500
    assert response.json() == {"error": {"type": "api_error"}}
