"""The /_sandbox control API: faults armed per provider, request counters, recent requests."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from gateway.sandbox.control_client import SandboxControl
from tests.sandbox.conftest import OpenAIFactory
from tests.sandbox.shapes import CLAUDE_HELLO, HELLO, UNREADABLE_BODY

GROQ_MODEL = "llama-3.1-8b-instant"


def _groq_chat(openai_for: OpenAIFactory, **options: object) -> openai.types.chat.ChatCompletion:
    client = openai_for("groq", **options)
    return client.chat.completions.create(model=GROQ_MODEL, messages=HELLO)


def test_armed_error_hits_only_that_provider_for_count_requests(
    sandbox: SandboxControl, openai_for: OpenAIFactory
) -> None:
    sandbox.arm_fault("groq", "error=503", count=2)

    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            _groq_chat(openai_for)
    openai_answer = openai_for("openai").chat.completions.create(model="gpt-4o", messages=HELLO)

    assert _groq_chat(openai_for).choices[0].message.content
    assert openai_answer.choices[0].message.content
    assert sandbox.faults() == {}


def test_fault_without_count_stays_until_cleared(
    sandbox: SandboxControl, openai_for: OpenAIFactory
) -> None:
    sandbox.arm_fault("groq", "error=429")

    for _ in range(3):
        with pytest.raises(openai.RateLimitError):
            _groq_chat(openai_for)
    assert sandbox.faults() == {"groq": {"fault": "error=429", "remaining": None}}

    sandbox.clear_faults("groq")
    assert _groq_chat(openai_for).choices
    assert sandbox.faults() == {}


def test_remaining_count_is_reported(sandbox: SandboxControl, openai_for: OpenAIFactory) -> None:
    sandbox.arm_fault("groq", "error=500", count=3)
    with pytest.raises(openai.InternalServerError):
        _groq_chat(openai_for)

    assert sandbox.faults()["groq"]["remaining"] == 2


def test_star_arms_every_provider(
    sandbox: SandboxControl, openai_for: OpenAIFactory, anthropic_client: anthropic.Anthropic
) -> None:
    sandbox.arm_fault("*", "error=500")

    with pytest.raises(openai.InternalServerError):
        _groq_chat(openai_for)
    with pytest.raises(anthropic.InternalServerError):
        anthropic_client.messages.create(
            model="claude-sonnet-4-0",
            max_tokens=5,
            messages=CLAUDE_HELLO,
        )


def test_request_header_wins_and_keeps_the_armed_count(
    sandbox: SandboxControl, openai_for: OpenAIFactory
) -> None:
    sandbox.arm_fault("groq", "error=503", count=1)

    with pytest.raises(openai.RateLimitError):
        _groq_chat(openai_for, default_headers={"x-sandbox-fault": "error=429"})

    assert sandbox.faults()["groq"]["remaining"] == 1
    with pytest.raises(openai.InternalServerError):
        _groq_chat(openai_for)


@pytest.mark.parametrize(
    ("text", "exception"),
    [
        ("hang", openai.APITimeoutError),
        ("cut=10", openai.APIConnectionError),
        ("malformed", UNREADABLE_BODY),
        ("error=500", openai.InternalServerError),
    ],
)
def test_every_fault_kind_can_be_armed_per_provider(
    sandbox: SandboxControl,
    openai_for: OpenAIFactory,
    text: str,
    exception: type[Exception] | tuple[type[Exception], ...],
) -> None:
    sandbox.arm_fault("groq", text, count=1)

    with pytest.raises(exception):
        _groq_chat(openai_for, timeout=0.5)

    assert _groq_chat(openai_for).choices[0].message.content


def test_armed_latency_slows_the_provider(
    sandbox: SandboxControl, openai_for: OpenAIFactory
) -> None:
    sandbox.arm_fault("groq", "latency=250", count=1)

    started = time.perf_counter()
    _groq_chat(openai_for)

    assert time.perf_counter() - started >= 0.24


def test_stream_fault_armed_per_provider(
    sandbox: SandboxControl, anthropic_client: anthropic.Anthropic
) -> None:
    sandbox.arm_fault("anthropic", "error=529@3", count=1)

    with pytest.raises(anthropic.APIStatusError):
        list(
            anthropic_client.messages.create(
                model="claude-sonnet-4-0",
                max_tokens=20,
                messages=CLAUDE_HELLO,
                stream=True,
            )
        )


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "mistral", "fault": "hang"},
        {"provider": "groq", "fault": "boom"},
        {"provider": "groq", "fault": "error=200"},
        {"provider": "groq", "fault": "hang", "count": 0},
        {"provider": "groq", "fault": 5},
    ],
)
def test_invalid_fault_requests_are_refused(http: httpx.Client, body: dict[str, object]) -> None:
    response = http.post("/_sandbox/faults", json=body)

    assert response.status_code == 400
    assert http.get("/_sandbox/faults").json() == {}


def test_stats_count_requests_per_provider_and_endpoint(
    sandbox: SandboxControl, openai_for: OpenAIFactory, http: httpx.Client
) -> None:
    _groq_chat(openai_for)
    _groq_chat(openai_for)
    http.get("/groq/v1/models", headers={"authorization": "Bearer k"})
    http.get("/ollama/api/tags")
    with pytest.raises(openai.AuthenticationError):
        _groq_chat(openai_for, api_key="invalid")

    stats = sandbox.stats()

    assert stats["requests"] == {"ollama": 1, "groq": 4, "together": 0, "openai": 0, "anthropic": 0}
    assert stats["endpoints"]["groq"] == {"chat.completions": 3, "models": 1}
    assert stats["total"] == 5


def test_reset_zeroes_the_counters(sandbox: SandboxControl, openai_for: OpenAIFactory) -> None:
    _groq_chat(openai_for)
    assert sandbox.requests_to("groq") == 1

    sandbox.reset()

    assert sandbox.requests_to("groq") == 0
    assert sandbox.recent() == []


def test_fixture_starts_every_test_clean(sandbox: SandboxControl) -> None:
    assert sandbox.stats()["total"] == 0
    assert sandbox.faults() == {}


def test_recent_requests_show_the_body_and_hide_the_key(
    sandbox: SandboxControl, openai_for: OpenAIFactory
) -> None:
    _groq_chat(openai_for, api_key="gsk-very-secret-key-0123456789")

    (logged,) = sandbox.recent("groq")

    assert logged["path"] == "/groq/v1/chat/completions"
    assert logged["body"]["model"] == GROQ_MODEL
    assert logged["body"]["messages"] == HELLO
    assert "0123456789" not in logged["headers"]["authorization"]
    assert sandbox.recent("openai") == []
