"""Tenant isolation: two organizations attack each other through every gateway endpoint and the
cache; every attempt is refused (or lands in the attacker's own organization), no refusal
says whether the other organization, key or model exists, and no attempt reaches a provider
or leaves a record in the victim's name.

The background jobs, analytics reads and row-level security are in
`test_isolation_data.py`. Every attempt is counted in the ledger (`isolation`).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis
from sqlalchemy import Engine

from gateway.api.app import create_app
from gateway.cache.store import namespace
from gateway.db.sessions import tenant_session
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from gateway.tenancy.keys import hash_api_key, revoke_api_key
from gateway.tenancy.resolver import tenant_cache_key
from gateway.usage import USAGE_STREAM
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant
from tests.hardening.isolation_world import (
    GLOBEX_PROVIDER_SECRET,
    World,
    build_world,
    forged_keys,
)
from tests.hardening.ledger import Ledger

ASK = [{"role": "user", "content": "What is the capital of France?"}]
CHAT = {"model": "gpt-4o-mini", "messages": ASK, "max_tokens": 16}
EMBED = {"model": "text-embedding-3-small", "input": "hello"}
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/chat/completions", {**CHAT, "stream": True}),
    ("POST", "/v1/embeddings", EMBED),
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/gpt-4o-mini", None),
]
INVALID_KEY = "Incorrect API key provided. Create or copy a RouterAI key (gw_…) in your dashboard."


@pytest.fixture
def world(engine: Engine, make_tenant: Callable[..., Tenant]) -> World:
    return build_world(engine, make_tenant)


@pytest.fixture
def http(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        yield client


def call(
    http: httpx.Client,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    key: str | None,
    **options: Any,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    headers.update(options.pop("headers", {}))
    return http.request(method, path, json=body, headers=headers, **options)


def records(redis_client: redis.Redis) -> list[dict[str, str]]:
    """The usage records the gateway appended so far."""
    entries: Any = redis_client.xrange(USAGE_STREAM)
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]


def upstream_calls(sandbox: SandboxControl) -> int:
    """Requests that reached a provider's model (the health checks' listings aside)."""
    endpoints = sandbox.stats()["endpoints"]
    return sum(n for per in endpoints.values() for name, n in per.items() if name != "tags")


def leaks(response: httpx.Response, world: World) -> list[str]:
    return [text for text in world.secrets_of_both() if text.lower() in response.text.lower()]


def test_forged_swapped_revoked_and_rotated_keys_are_refused_alike_everywhere(
    http: httpx.Client,
    world: World,
    sandbox: SandboxControl,
    redis_client: redis.Redis,
    ledger: Ledger,
) -> None:
    errors = []
    forged = forged_keys(world)
    for name, key in forged.items():
        for method, path, body in ENDPOINTS:
            response = call(http, method, path, body, key)
            refused = response.status_code == 401 and not leaks(response, world)
            assert ledger.attempt("isolation", refused=refused), (name, path, response.text)
            errors.append(response.json()["error"])
    # One message for every refusal: none tells a wrong secret from an unknown organization,
    # a revoked key or another environment's key.
    assert {e["message"] for e in errors} == {INVALID_KEY}
    assert {(e["type"], e["code"], e["param"]) for e in errors} == {
        ("invalid_request_error", "invalid_api_key", None)
    }
    assert upstream_calls(sandbox) == 0  # nothing reached a provider…
    assert records(redis_client) == []  # …and nothing was recorded in anyone's name
    # Each refusal is remembered in Redis like any key, so a repeated probe costs the same
    # whichever way the key was wrong (no database round trip either way).
    for key in forged.values():
        if key.startswith("gw_") and "," not in key:
            assert redis_client.get(tenant_cache_key(hash_api_key(key))) == b"-", key


@pytest.mark.parametrize(
    ("where", "headers", "params"),
    [
        ("Anthropic's header", {"x-api-key": "{key}"}, None),
        ("Azure's header", {"api-key": "{key}"}, None),
        ("a query parameter", {}, {"api_key": "{key}"}),
        ("HTTP Basic", {"Authorization": "Basic {basic}"}, None),
        ("no scheme", {"Authorization": "{key}"}, None),
        ("a cookie", {"Cookie": "api_key={key}"}, None),
        ("the wrong scheme", {"Authorization": "Token {key}"}, None),
    ],
)
def test_a_live_key_sent_anywhere_but_the_bearer_header_is_refused(
    http: httpx.Client,
    world: World,
    ledger: Ledger,
    where: str,
    headers: dict[str, str],
    params: dict[str, str] | None,
) -> None:
    key = world.acme.key
    basic = base64.b64encode(f"{key}:".encode()).decode()
    filled = {name: value.format(key=key, basic=basic) for name, value in headers.items()}
    query = {name: value.format(key=key) for name, value in (params or {}).items()}
    for method, path, body in ENDPOINTS:
        response = call(http, method, path, body, None, headers=filled, params=query)
        refused = response.status_code == 401 and not leaks(response, world)
        assert ledger.attempt("isolation", refused=refused), (where, path, response.text)


@pytest.mark.parametrize(
    ("headers", "params", "extra"),
    [
        ({"OpenAI-Organization": "{acme_id}"}, None, {}),
        ({"OpenAI-Project": "{acme_id}"}, None, {}),
        ({"x-routerai-org": "{acme_slug}", "x-org-id": "{acme_id}"}, None, {}),
        ({}, {"org_id": "{acme_id}", "org": "{acme_slug}"}, {}),
        ({}, None, {"user": "{acme_id}", "metadata": {"org_id": "{acme_id}"}}),
        ({}, None, {"org_id": "{acme_id}", "organization": "{acme_slug}"}),
    ],
)
def test_nothing_in_a_request_switches_it_to_another_organization(
    http: httpx.Client,
    world: World,
    redis_client: redis.Redis,
    ledger: Ledger,
    headers: dict[str, str],
    params: dict[str, str] | None,
    extra: dict[str, Any],
) -> None:
    acme = world.acme.org

    def fill(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value.format(acme_id=acme.id, acme_slug=acme.slug)

    for method, path, body in ENDPOINTS:
        sent = None if body is None else {**body, **fill(extra)}
        response = call(
            http, method, path, sent, world.globex.key, headers=fill(headers), params=fill(params)
        )
        assert response.status_code == 200, response.text
    recorded = {r["org_id"] for r in records(redis_client)}
    # Everything Globex sent was Globex's, whatever it claimed.
    assert ledger.attempt("isolation", refused=recorded == {str(world.globex.org.id)}), recorded


ALLOW_LIST_BYPASSES = [
    "gpt-4o",
    "GPT-4O",
    "gpt-4o-2024-08-06",
    "Gpt-4O-2024-08-06",
    " gpt-4o",
    "gpt-4o ",
    "gpt-4o\t",
    "gpt-4o\u200b",
    "gpt\u20114o",
    "openai/gpt-4o",
    "gpt-4o-mini/../gpt-4o",
    "gpt-4o-mini,gpt-4o",
    "gpt-4o-mini gpt-4o",
    "claude-sonnet-4",
    "claude-sonnet-4-20250514",
    "llama-3.3-70b",
    "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "llama3.2:3b",
    "o3-mini",
]


def test_an_allow_list_cannot_be_bypassed_by_aliases_case_whitespace_or_lookalikes(
    http: httpx.Client, world: World, sandbox: SandboxControl, ledger: Ledger
) -> None:
    refusals = []
    for model in ALLOW_LIST_BYPASSES:
        for stream in (False, True):
            sent = {**CHAT, "model": model, "stream": stream}
            response = call(http, "POST", "/v1/chat/completions", sent, world.acme.key)
            refused = response.status_code == 404
            assert ledger.attempt("isolation", refused=refused), (model, response.text)
            refusals.append(response.json()["error"])
        response = call(http, "GET", f"/v1/models/{quote(model, safe='/:')}", None, world.acme.key)
        assert ledger.attempt("isolation", refused=response.status_code == 404), model
    for model in ("text-embedding-3-large", "TEXT-EMBEDDING-3-LARGE", "nomic-embed-text"):
        response = call(http, "POST", "/v1/embeddings", {**EMBED, "model": model}, world.acme.key)
        assert ledger.attempt("isolation", refused=response.status_code == 404), model
    assert upstream_calls(sandbox) == 0
    # A model that exists but is not allowed reads exactly like one that does not exist.
    unknown = call(
        http, "POST", "/v1/chat/completions", {**CHAT, "model": "no-such"}, world.acme.key
    )
    assert unknown.status_code == 404
    shape = unknown.json()["error"]
    for error in refusals:
        assert {k: v for k, v in error.items() if k != "message"} == {
            k: v for k, v in shape.items() if k != "message"
        }
        assert error["message"].split("'")[0] == shape["message"].split("'")[0]


def test_query_strings_headers_and_auto_stay_inside_the_allow_list(
    http: httpx.Client, world: World, sandbox: SandboxControl, ledger: Ledger
) -> None:
    key = world.acme.key
    attempts = [
        call(http, "POST", "/v1/chat/completions", CHAT, key, params={"model": "gpt-4o"}),
        call(
            http,
            "POST",
            "/v1/chat/completions",
            CHAT,
            key,
            headers={"x-routerai-model": "gpt-4o", "x-routerai-provider": "anthropic"},
        ),
        call(http, "POST", "/v1/chat/completions", {**CHAT, "provider": "anthropic"}, key),
        call(http, "POST", "/v1/chat/completions", {**CHAT, "model": "auto"}, key),
        call(http, "POST", "/v1/chat/completions", {**CHAT, "models": ["gpt-4o"]}, key),
    ]
    for response in attempts:
        served = response.status_code == 200 and response.headers["x-routerai-model"]
        assert ledger.attempt("isolation", refused=served == "gpt-4o-mini"), response.text
    refused = call(
        http,
        "POST",
        "/v1/chat/completions",
        {**CHAT, "model": "gpt-4o"},
        key,
        params={"model": "gpt-4o-mini"},
    )
    assert ledger.attempt("isolation", refused=refused.status_code == 404), refused.text
    listed = call(http, "GET", "/v1/models", None, key).json()["data"]
    assert sorted(m["id"] for m in listed) == ["auto", "gpt-4o-mini", "text-embedding-3-small"]
    assert sandbox.requests_to("openai") == len(attempts)


def test_acme_never_uses_globex_s_provider_key(
    http: httpx.Client, world: World, sandbox: SandboxControl, ledger: Ledger
) -> None:
    for _ in range(3):
        assert call(http, "POST", "/v1/chat/completions", CHAT, world.acme.key).status_code == 200
    acme_calls = [r["headers"]["authorization"] for r in sandbox.recent("openai")]
    sandbox.reset()
    for _ in range(3):
        assert call(http, "POST", "/v1/chat/completions", CHAT, world.globex.key).status_code == 200
    globex_calls = [r["headers"]["authorization"] for r in sandbox.recent("openai")]
    globex_shown = f"Bearer {GLOBEX_PROVIDER_SECRET}"[:12]  # the sandbox logs 12 characters
    for sent in acme_calls:
        assert ledger.attempt("isolation", refused=not sent.startswith(globex_shown))
    assert acme_calls and globex_calls
    assert all(sent.startswith(globex_shown) for sent in globex_calls)


def wait_for_cache_entries(redis_client: redis.Redis, tenant: Tenant, count: int) -> None:
    expiry = f"{namespace(str(tenant.org.id))}exp"
    deadline = time.monotonic() + 10
    while int(redis_client.zcard(expiry)) < count:  # type: ignore[arg-type]
        assert time.monotonic() < deadline, "the cache did not store the answer"
        time.sleep(0.05)


def ask(content: str, **extra: Any) -> dict[str, Any]:
    message = {"role": "user", "content": content}
    return {"model": "gpt-4o-mini", "messages": [message], "temperature": 0, **extra}


CACHED_BY_GLOBEX = [
    "What is the capital of France?",
    "How do I reverse a list in Python?",
    "What is the boiling point of water at sea level?",
    "Name three primary colors.",
]


def test_one_tenant_s_cached_answers_never_reach_the_other(
    http: httpx.Client,
    world: World,
    sandbox: SandboxControl,
    redis_client: redis.Redis,
    ledger: Ledger,
) -> None:
    for question in CACHED_BY_GLOBEX:
        first = call(http, "POST", "/v1/chat/completions", ask(question), world.globex.key)
        assert first.headers["x-routerai-cache"] == "miss"
    wait_for_cache_entries(redis_client, world.globex, len(CACHED_BY_GLOBEX))
    for question in CACHED_BY_GLOBEX:  # Globex's own entries answer Globex
        again = call(http, "POST", "/v1/chat/completions", ask(question), world.globex.key)
        assert again.headers["x-routerai-cache"] == "exact"
    before = sandbox.requests_to("openai")

    # Acme asks each question once (so none can hit an entry of Acme's own).
    globex_id = str(world.globex.org.id)
    attempts = [
        (ask(CACHED_BY_GLOBEX[0]), {}),
        (ask(CACHED_BY_GLOBEX[1], stream=True), {}),
        (ask("At sea level, what temperature does water boil at?"), {}),
        (ask(CACHED_BY_GLOBEX[3], user=globex_id), {"x-routerai-cache-namespace": globex_id}),
    ]
    for body, headers in attempts:
        response = call(http, "POST", "/v1/chat/completions", body, world.acme.key, headers=headers)
        assert response.status_code == 200, response.text
        refused = response.headers["x-routerai-cache"] in ("miss", "bypass")
        assert ledger.attempt("isolation", refused=refused), (body, response.headers)
    assert sandbox.requests_to("openai") == before + len(attempts)  # each went upstream
    # Every cache key lives under its own organization's namespace.
    found: Any = redis_client.keys("gw:cache:*")
    names = [k.decode() for k in found]
    orgs = {str(world.acme.org.id), globex_id}
    assert names and all(any(n.startswith(namespace(org)) for org in orgs) for n in names)


@pytest.fixture
def uncached_gateway_url(settings_for: Callable[..., Settings]) -> Iterator[str]:
    """A gateway without the per-process tenant cache: a revocation applies at once."""
    settings = settings_for(ROUTERAI_TENANT_CACHE_TTL_S=0)
    with serve_in_thread(create_app(settings)) as url:
        yield url


def test_a_key_revoked_or_rotated_while_in_use_is_refused_from_the_next_request(
    uncached_gateway_url: str,
    engine: Engine,
    world: World,
    redis_client: redis.Redis,
    ledger: Ledger,
) -> None:
    with httpx.Client(base_url=uncached_gateway_url, timeout=30) as http:
        acme, current = world.acme, world.acme_rotated_in
        for key in (acme.key, current):
            assert call(http, "POST", "/v1/chat/completions", CHAT, key).status_code == 200
        # Revoke as the dashboard does: the row, then the cached contexts everywhere.
        with tenant_session(engine, acme.org.id) as session:
            row = revoke_api_key(session, org_id=acme.org.id, key_id=uuid.UUID(acme.key_id))
        redis_client.delete(tenant_cache_key(row.key_hash))
        for method, path, body in ENDPOINTS:
            response = call(http, method, path, body, acme.key)
            assert ledger.attempt("isolation", refused=response.status_code == 401), path
        # The other keys of the same organization, and the other organization, go on.
        assert call(http, "POST", "/v1/chat/completions", CHAT, current).status_code == 200
        assert call(http, "GET", "/v1/models", None, world.globex.key).status_code == 200
