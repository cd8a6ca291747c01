"""The web app's sign-in routes over HTTP: the only place the session cookie is set."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.settings import Settings
from routerai_app import backend
from routerai_app.auth_routes import auth_app, safe_next
from routerai_app.cookies import cookie_value

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


@pytest.fixture
async def client(engine: Engine, async_redis: aioredis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    backend.install(backend.Services.build(Settings(), engine, async_redis))
    transport = httpx.ASGITransport(app=auth_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/keys", "/dashboard/keys"),
        (None, "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ],
)
def test_safe_next_only_follows_paths_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_cookie_value_reads_one_cookie_of_a_header() -> None:
    header = 'theme=dark; routerai_session=abc123; other="x"'
    assert cookie_value(header) == "abc123"
    assert cookie_value("theme=dark") is None
    assert cookie_value(None) is None


async def test_a_hand_off_code_sets_an_httponly_lax_cookie_once(client: httpx.AsyncClient) -> None:
    sessions = backend.services().auth.sessions
    token = await sessions.create(uuid.uuid4())
    code = await sessions.issue_handoff(token)
    url = f"/auth/session?code={code}&next=/dashboard/keys"

    first = await client.get(url, headers=SAME_ORIGIN)
    second = await client.get(url, headers=SAME_ORIGIN)

    assert first.status_code == 303 and first.headers["location"] == "/dashboard/keys"
    cookie = first.headers["set-cookie"]
    assert f"routerai_session={token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert second.headers["location"] == "/login?error=expired"
    assert "set-cookie" not in second.headers


async def test_a_hand_off_from_another_site_is_refused(client: httpx.AsyncClient) -> None:
    sessions = backend.services().auth.sessions
    code = await sessions.issue_handoff(await sessions.create(uuid.uuid4()))

    response = await client.get(
        f"/auth/session?code={code}", headers={"sec-fetch-site": "cross-site"}
    )

    assert response.headers["location"] == "/login?error=expired"
    assert "set-cookie" not in response.headers


async def test_logout_ends_the_session_and_clears_the_cookie(client: httpx.AsyncClient) -> None:
    sessions = backend.services().auth.sessions
    token = await sessions.create(uuid.uuid4())

    client.cookies.set("routerai_session", token)
    response = await client.get("/logout")

    assert response.headers["location"] == "/login?signed_out=1"
    assert 'routerai_session=""' in response.headers["set-cookie"]
    assert await sessions.get(token) is None


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_another_site_cannot_sign_a_visitor_out(client: httpx.AsyncClient, site: str) -> None:
    sessions = backend.services().auth.sessions
    token = await sessions.create(uuid.uuid4())

    client.cookies.set("routerai_session", token)
    response = await client.get("/logout", headers={"sec-fetch-site": site})

    assert response.headers["location"] == "/"
    assert "set-cookie" not in response.headers
    assert await sessions.get(token) is not None


async def test_github_is_refused_when_not_configured(client: httpx.AsyncClient) -> None:
    assert (await client.get("/auth/github")).headers["location"] == "/login?error=github"
    callback = await client.get("/auth/github/callback?code=x&state=y")
    assert callback.headers["location"] == "/login?error=github"
