"""/metrics answers only the operator's token when ROUTERAI_METRICS_TOKEN is set, on the
gateway's own port (`routerai api`) and on the web app's, where the gateway answers in
front of Reflex (the running web app: tests/e2e/test_secrets.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.api.app import create_app
from gateway.settings import Settings
from routerai_app.gateway_mount import gateway_in_front, gateway_lifespan
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant

TOKEN = "prometheus-scrapes-with-this-token"
WRONG = [
    {},
    {"authorization": "Bearer not-the-token"},
    {"authorization": f"Bearer {TOKEN}x"},
    {"authorization": f"Basic {TOKEN}"},
    {"authorization": TOKEN},
    {"x-api-key": TOKEN},
]


async def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("a web page")


def web_port(gateway: Starlette) -> object:
    """The web app's composition: the gateway in front of (a stand-in for) Reflex, which
    runs the gateway's lifespan as Reflex's lifespan task does."""
    reflex = Starlette(
        routes=[Route("/{path:path}", page)],
        lifespan=lambda _: gateway_lifespan(gateway)(),
    )
    return gateway_in_front(gateway, ("/v1/",), reflex, cors_origins=["*"])


PORTS = {"api": lambda gateway: gateway, "web": web_port}


Serve = Callable[[Settings], AbstractContextManager[str]]


@pytest.fixture(params=sorted(PORTS))
def serve(request: pytest.FixtureRequest) -> Serve:
    """Serve the gateway built from `settings` as one of the two ports does; yields its URL."""
    compose = PORTS[request.param]
    return lambda settings: serve_in_thread(compose(create_app(settings)))


def test_with_a_token_set_metrics_refuse_anything_else_with_a_401(
    settings_for: Callable[..., Settings],
    serve: Serve,
    tenant: Tenant,
) -> None:
    with serve(settings_for(ROUTERAI_METRICS_TOKEN=TOKEN)) as url:
        served = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"authorization": f"Bearer {tenant.key}"},
            json={
                "model": "gpt-4o-mini",
                "max_tokens": 8,
                "messages": [{"role": "user", "content": "hi"}],
            },
        )
        assert served.status_code == 200  # traffic the metrics now count, cost included
        for headers in WRONG:
            refused = httpx.get(f"{url}/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["content-type"] == "application/json"
            assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
            error = refused.json()["error"]
            assert (error["type"], error["code"]) == (
                "invalid_request_error",
                "invalid_metrics_token",
            )
            assert "routerai_" not in refused.text

        scraped = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert 'model="gpt-4o-mini"' in scraped.text and "routerai_cost" in scraped.text
        assert httpx.get(f"{url}/health").status_code == 200  # still open for load balancers


def test_without_a_token_metrics_stay_open(
    settings_for: Callable[..., Settings], serve: Serve
) -> None:
    with serve(settings_for()) as url:
        assert httpx.get(f"{url}/metrics").status_code == 200
