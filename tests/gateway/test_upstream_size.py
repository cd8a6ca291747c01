"""An upstream answer larger than RouterAI accepts (ROUTERAI_MAX_UPSTREAM_RESPONSE_BYTES) is a
502 `upstream_response_too_large`, or once a stream has sent content, its error event; it is
never retried on another provider, and never held against the provider's breaker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.api.app import create_app
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant
from tests.gateway.sse import read_stream

CAP = 64 * 1024
HELLO = [{"role": "user", "content": "Hello"}]
LLAMA = "llama-3.3-70b"  # served by groq (first in catalogue order) and together


@pytest.fixture
def capped(settings_for: Callable[..., Settings]) -> Callable[..., Any]:
    """capped(cap) → a gateway that accepts at most `cap` bytes per upstream answer, and
    whose breakers open at the first failure."""

    def serve(cap: int = CAP) -> Any:
        settings = settings_for(
            ROUTERAI_MAX_UPSTREAM_RESPONSE_BYTES=cap, ROUTERAI_BREAKER_FAILURES=1
        )
        return serve_in_thread(create_app(settings))

    return serve


@pytest.fixture
def capped_url(capped: Callable[..., Any]) -> Iterator[str]:
    with capped() as url:
        yield url


def post(url: str, tenant: Tenant, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {tenant.key}"}
    return httpx.post(f"{url}{path}", json=body, headers=headers, timeout=30)


def assert_too_large(response: httpx.Response, cap: int = CAP) -> None:
    assert response.status_code == 502, response.text[:300]
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("upstream_error", "upstream_response_too_large")
    assert f"{cap:,} bytes" in error["message"]


def test_an_answer_over_the_cap_is_a_502_and_no_other_provider_is_paid_for_it(
    capped_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("groq", f"pad={CAP}")
    assert_too_large(
        post(capped_url, tenant, "/v1/chat/completions", {"model": LLAMA, "messages": HELLO})
    )
    assert sandbox.requests_to("groq") == 1
    assert sandbox.requests_to("together") == 0


def test_an_answer_over_the_cap_does_not_open_the_provider_s_breaker(
    capped_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("groq", f"pad={CAP}", count=2)
    for _ in range(2):  # the breaker opens at one failure: the second would skip groq
        assert_too_large(
            post(capped_url, tenant, "/v1/chat/completions", {"model": LLAMA, "messages": HELLO})
        )
    served = post(capped_url, tenant, "/v1/chat/completions", {"model": LLAMA, "messages": HELLO})
    assert served.status_code == 200
    assert served.headers["x-routerai-provider"] == "groq"
    assert sandbox.requests_to("groq") == 3 and sandbox.requests_to("together") == 0


def test_an_embeddings_answer_over_the_cap_is_a_502(
    capped_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("openai", f"pad={CAP}")
    body = {"model": "text-embedding-3-small", "input": "hello"}
    assert_too_large(post(capped_url, tenant, "/v1/embeddings", body))


def test_an_answer_just_under_the_cap_is_served(
    capped_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("openai", f"pad={CAP - 4096}")  # the answer itself is well under 4 KiB
    body = {"model": "gpt-4o-mini", "messages": HELLO}
    assert post(capped_url, tenant, "/v1/chat/completions", body).status_code == 200


def test_a_stream_over_the_cap_after_its_content_ends_with_an_error_event(
    capped_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("openai", f"pad={CAP}")  # after every content frame, before [DONE]
    body = {"model": "gpt-4o-mini", "messages": HELLO, "stream": True}
    stream = read_stream(capped_url, tenant.key, body)
    assert stream.status == 200
    assert "[DONE]" not in stream.events
    *chunks, last = stream.events
    assert any(chunk["choices"] and chunk["choices"][0]["delta"].get("content") for chunk in chunks)
    assert last["error"]["code"] == "upstream_response_too_large"


def test_a_stream_over_the_cap_before_any_content_is_a_502_without_fallback(
    capped: Callable[..., Any], tenant: Tenant, sandbox: SandboxControl
) -> None:
    with capped(cap=100) as url:  # less than the first frame of any stream
        body = {"model": LLAMA, "messages": HELLO, "stream": True}
        assert_too_large(post(url, tenant, "/v1/chat/completions", body), cap=100)
    assert sandbox.requests_to("groq") == 1 and sandbox.requests_to("together") == 0
