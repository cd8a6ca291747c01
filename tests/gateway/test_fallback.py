"""A broken provider costs the client nothing: the next candidate answers."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from gateway.api.app import create_app
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant
from tests.gateway.sse import read_stream

HELLO = [{"role": "user", "content": "Hello"}]
LLAMA = "llama-3.3-70b"  # served by groq (first in catalogue order) and together


@pytest.mark.parametrize("fault", ["error=503", "error=500", "error=429", "malformed"])
def test_a_failing_provider_falls_back_to_the_next(
    client: openai.OpenAI, sandbox: SandboxControl, fault: str
) -> None:
    sandbox.arm_fault("groq", fault)
    raw = client.chat.completions.with_raw_response.create(model=LLAMA, messages=HELLO)
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-routerai-provider"] == "together"
    assert sandbox.requests_to("groq") == 1 and sandbox.requests_to("together") == 1


def test_a_hanging_provider_falls_back_within_the_attempt_timeout(
    settings_for: Callable[..., Settings], tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("groq", "hang")
    with serve_in_thread(create_app(settings_for(ROUTERAI_ATTEMPT_TIMEOUT_S=0.5))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=tenant.key, max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model=LLAMA, messages=HELLO)
    assert raw.headers["x-routerai-provider"] == "together"


def test_when_every_candidate_fails_the_last_error_is_returned(
    client: openai.OpenAI, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("groq", "error=503")
    sandbox.arm_fault("together", "error=500")
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=LLAMA, messages=HELLO)
    assert caught.value.status_code == 502


def test_a_request_the_provider_blames_on_the_client_is_not_retried(
    client: openai.OpenAI, sandbox: SandboxControl
) -> None:
    with pytest.raises(openai.BadRequestError):  # json mode without the word in the prompt
        client.chat.completions.create(
            model=LLAMA, messages=HELLO, response_format={"type": "json_object"}
        )
    assert sandbox.requests_to("together") == 0


@pytest.mark.parametrize("fault", ["error=503", "cut=1"])
def test_a_stream_failing_before_content_falls_back_without_splicing(
    gateway_url: str, tenant: Tenant, sandbox: SandboxControl, fault: str
) -> None:
    sandbox.arm_fault("groq", fault)
    stream = read_stream(
        gateway_url, tenant.key, {"model": LLAMA, "messages": HELLO, "stream": True}
    )
    assert stream.status == 200
    assert stream.headers["x-routerai-provider"] == "together"
    *chunks, done = stream.events
    assert done == "[DONE]"
    assert {chunk["model"] for chunk in chunks} == {"meta-llama/Llama-3.3-70B-Instruct-Turbo"}
    assert sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("role")) == 1
