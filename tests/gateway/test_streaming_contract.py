"""Once content has reached the client, an upstream break ends the stream with an error event."""

from __future__ import annotations

import openai
import pytest

from gateway.sandbox.control_client import SandboxControl
from tests.gateway.conftest import Tenant
from tests.gateway.sse import read_stream

BODY = {
    "model": "gpt-4o-mini",
    "stream": True,
    "messages": [{"role": "user", "content": "Tell me a long story."}],
}


@pytest.mark.parametrize("fault", ["cut=3", "error=500@3"])
def test_a_broken_stream_ends_with_an_error_event_not_done(
    gateway_url: str, tenant: Tenant, sandbox: SandboxControl, fault: str
) -> None:
    sandbox.arm_fault("openai", fault)
    stream = read_stream(gateway_url, tenant.key, BODY)
    assert stream.status == 200
    assert "[DONE]" not in stream.events
    *chunks, last = stream.events
    assert chunks and all("choices" in chunk for chunk in chunks)
    assert set(last) == {"error"}
    assert last["error"]["type"] == "upstream_error" and last["error"]["message"]


def test_the_sdk_raises_instead_of_ending_quietly(
    client: openai.OpenAI, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("openai", "cut=3")
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=BODY["messages"], stream=True
    )
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert received  # content arrived before the break


def test_a_stream_failing_before_its_first_byte_is_an_http_error(
    gateway_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    sandbox.arm_fault("openai", "error=503")
    stream = read_stream(gateway_url, tenant.key, BODY)
    assert stream.status == 503
