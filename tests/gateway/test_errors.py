"""Every error arrives in OpenAI's shape, as the SDK exception class OpenAI's own API gives."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import Engine

from gateway.api.app import create_app
from gateway.db.sessions import tenant_session
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from gateway.tenancy.keys import revoke_api_key
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant

HELLO = [{"role": "user", "content": "Hello"}]


def sdk(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{url}/v1", api_key=key, max_retries=0, _strict_response_validation=True
    )


def assert_openai_error(
    response: httpx.Response, status: int, code: str | None, param: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    assert error["param"] == param
    assert error["message"]
    assert response.headers["x-request-id"].startswith("req_")
    return dict(error)


@pytest.mark.parametrize(
    "key", [None, "sk-not-a-routerai-key", "gw_", "gw_nobody_prod_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
)
def test_missing_or_unknown_keys_are_401(gateway_url: str, key: str | None) -> None:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    response = httpx.post(
        f"{gateway_url}/v1/chat/completions",
        headers=headers,
        json={"model": "gpt-4o-mini", "messages": HELLO},
    )
    assert_openai_error(response, 401, "invalid_api_key")


def test_the_sdk_raises_authentication_error(gateway_url: str) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(gateway_url, "gw_acme_prod_wrong").chat.completions.create(
            model="gpt-4o-mini", messages=HELLO
        )
    assert caught.value.code == "invalid_api_key"


def test_a_revoked_key_is_refused(
    gateway_url: str, tenant: Tenant, engine: Engine, redis_client: Any
) -> None:
    client = sdk(gateway_url, tenant.key)
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    with tenant_session(engine, tenant.org.id) as session:
        row = revoke_api_key(session, org_id=tenant.org.id, key_id=uuid.UUID(tenant.key_id))
    redis_client.delete(f"gw:tenant:{row.key_hash}")
    time.sleep(1.1)  # the gateway's per-process cache lives 1 s
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": HELLO}, "model"),
        ({"model": "gpt-4o-mini"}, "messages"),
        ({"model": "gpt-4o-mini", "messages": "hello"}, "messages"),
        ({"model": "gpt-4o-mini", "messages": []}, "messages"),
        (
            {"model": "gpt-4o-mini", "messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
        ),
        (
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
        ),
        ({"model": 12, "messages": HELLO}, "model"),
        ({"model": "gpt-4o-mini", "messages": HELLO, "max_tokens": "ten"}, "max_tokens"),
        ({"model": "gpt-4o-mini", "messages": HELLO, "max_tokens": -1}, "max_tokens"),
        ({"model": "gpt-4o-mini", "messages": HELLO, "temperature": 9}, "temperature"),
        ({"model": "gpt-4o-mini", "messages": HELLO, "n": 0}, "n"),
        ({"model": "gpt-4o-mini", "messages": HELLO, "stream": "yes"}, "stream"),
        ({"model": "gpt-4o-mini", "messages": HELLO, "max_tokens": 10**9}, "messages"),
    ],
)
def test_invalid_bodies_are_400_naming_the_param(
    client: openai.OpenAI, body: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body=body, cast_to=object)
    assert caught.value.param == param
    assert caught.value.type == "invalid_request_error"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_malformed_json_is_400(gateway_url: str, tenant: Tenant, raw: bytes) -> None:
    response = httpx.post(
        f"{gateway_url}/v1/chat/completions",
        content=raw,
        headers={"Authorization": f"Bearer {tenant.key}", "Content-Type": "application/json"},
    )
    assert_openai_error(response, 400, None)


def test_a_non_json_content_type_is_415(gateway_url: str, tenant: Tenant) -> None:
    response = httpx.post(
        f"{gateway_url}/v1/chat/completions",
        content=b"model=x",
        headers={
            "Authorization": f"Bearer {tenant.key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert_openai_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("model", ["gpt-9-ultra", "text-embedding-3-small"])
def test_unknown_models_are_404(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model=model, messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_a_model_outside_the_allow_list_is_404(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(allowed_models=["gpt-4o-mini"])
    client = sdk(gateway_url, tenant.key)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=HELLO).choices
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=HELLO)


def test_a_body_over_the_limit_is_413(
    settings_for: Callable[..., Settings], tenant: Tenant
) -> None:
    with serve_in_thread(create_app(settings_for(ROUTERAI_MAX_BODY_BYTES=2048))) as url:
        big = [{"role": "user", "content": "x" * 4096}]
        with pytest.raises(openai.APIStatusError) as caught:
            sdk(url, tenant.key).chat.completions.create(model="gpt-4o-mini", messages=big)
    assert caught.value.status_code == 413


def test_the_rate_limit_is_429_with_retry_after(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(rpm_limit=2)
    client = sdk(gateway_url, tenant.key)
    for _ in range(2):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert caught.value.code == "rate_limit_exceeded"
    response = caught.value.response
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-remaining-requests"] == "0"


def test_an_exhausted_budget_is_429_insufficient_quota(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(monthly_token_budget=5)  # not even the prompt fits
    client = sdk(gateway_url, tenant.key)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=500)
    assert caught.value.code == "insufficient_quota"
    assert caught.value.type == "insufficient_quota"


@pytest.mark.parametrize(
    ("fault", "status", "exception"),
    [
        ("error=500", 502, openai.InternalServerError),
        ("error=503", 503, openai.InternalServerError),
        ("error=429", 503, openai.InternalServerError),
        ("malformed", 502, openai.InternalServerError),
    ],
)
def test_upstream_failures_map_to_5xx(
    client: openai.OpenAI,
    sandbox: SandboxControl,
    fault: str,
    status: int,
    exception: type[Exception],
) -> None:
    sandbox.arm_fault("openai", fault)
    with pytest.raises(exception) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert caught.value.status_code == status  # type: ignore[attr-defined]


def test_an_upstream_that_hangs_is_504(
    settings_for: Callable[..., Settings], tenant: Tenant, sandbox: SandboxControl
) -> None:
    app = create_app(settings_for(ROUTERAI_UPSTREAM_TIMEOUT_S=0.5))
    with serve_in_thread(app) as url:
        sandbox.arm_fault("openai", "hang")
        with pytest.raises(openai.InternalServerError) as caught:
            sdk(url, tenant.key).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert caught.value.status_code == 504
    assert caught.value.code == "upstream_timeout"


def test_unknown_paths_are_openai_shaped_404(gateway_url: str) -> None:
    assert_openai_error(httpx.get(f"{gateway_url}/v1/nothing"), 404, "unknown_url")
