"""Circuit breakers seen from the client: a failing provider stops receiving traffic."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import openai
import pytest

from gateway.api.app import create_app
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant
from tests.gateway.processes import gateway_processes

HELLO = [{"role": "user", "content": "Hello"}]
LLAMA = "llama-3.3-70b"  # groq first, together second
BREAKER = {"ROUTERAI_BREAKER_FAILURES": 3, "ROUTERAI_BREAKER_COOLDOWN_S": 1}


def sdk(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def provider_of(client: openai.OpenAI) -> str:
    raw = client.chat.completions.with_raw_response.create(model=LLAMA, messages=HELLO)
    return raw.headers["x-routerai-provider"]


@pytest.fixture
def breaker_url(settings_for: Callable[..., Settings]) -> Iterator[str]:
    with serve_in_thread(create_app(settings_for(**BREAKER))) as url:
        yield url


def test_failures_open_the_breaker_and_recovery_closes_it(
    breaker_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    client = sdk(breaker_url, tenant.key)
    sandbox.arm_fault("groq", "error=503")
    assert [provider_of(client) for _ in range(3)] == ["together"] * 3
    assert sandbox.requests_to("groq") == 3  # each tried groq first, then fell back
    assert [provider_of(client) for _ in range(3)] == ["together"] * 3
    assert sandbox.requests_to("groq") == 3  # open: no request is sent to it
    sandbox.clear_faults()
    time.sleep(1.2)  # past the cool-down, groq may take one probe
    # Live health now ranks together first; make it fail so the request reaches groq.
    sandbox.arm_fault("together", "error=503", count=1)
    assert provider_of(client) == "groq"  # the probe succeeded: the breaker closes
    assert sandbox.requests_to("groq") == 4
    sandbox.arm_fault("together", "error=503", count=1)
    assert provider_of(client) == "groq"  # closed: no cool-down wait this time


def test_two_processes_agree_on_an_open_breaker(
    settings_for: Callable[..., Settings], tenant: Tenant, sandbox: SandboxControl
) -> None:
    settings = settings_for(ROUTERAI_BREAKER_FAILURES=3, ROUTERAI_BREAKER_COOLDOWN_S=60)
    sandbox.arm_fault("groq", "error=503")
    with gateway_processes(settings) as (first, second):
        assert [provider_of(sdk(first, tenant.key)) for _ in range(3)] == ["together"] * 3
        assert sandbox.requests_to("groq") == 3
        time.sleep(1.1)  # past the second process's one-second cache of breaker states
        assert provider_of(sdk(second, tenant.key)) == "together"
        assert sandbox.requests_to("groq") == 3


def test_the_platform_keys_breaker_protects_every_tenant_using_it(
    breaker_url: str, make_tenant: Callable[..., Tenant], sandbox: SandboxControl
) -> None:
    first = make_tenant(name="First")
    sandbox.arm_fault("groq", "error=503", count=3)
    assert [provider_of(sdk(breaker_url, first.key)) for _ in range(3)] == ["together"] * 3
    other = make_tenant(name="Other")  # never saw a failure itself
    assert provider_of(sdk(breaker_url, other.key)) == "together"
    assert sandbox.requests_to("groq") == 3
