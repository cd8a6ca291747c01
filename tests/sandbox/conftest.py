"""Clients of the sandbox, built with the vendors' own SDKs so the fake cannot drift."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from gateway.sandbox import BackgroundSandbox

OpenAIFactory = Callable[..., openai.OpenAI]


@pytest.fixture
def openai_for(sandbox_url: str) -> OpenAIFactory:
    """An OpenAI SDK client for one provider prefix, with strict response validation."""

    def build(prefix: str = "openai", api_key: str = "sk-test", **options: Any) -> openai.OpenAI:
        options.setdefault("_strict_response_validation", True)
        return openai.OpenAI(
            base_url=f"{sandbox_url}/{prefix}/v1" if prefix else f"{sandbox_url}/v1",
            api_key=api_key,
            max_retries=0,
            **options,
        )

    return build


@pytest.fixture
def openai_client(openai_for: OpenAIFactory) -> openai.OpenAI:
    """The OpenAI SDK pointed at the sandbox's /openai prefix."""
    return openai_for("openai")


@pytest.fixture
def anthropic_client(sandbox_url: str) -> anthropic.Anthropic:
    """The Anthropic SDK pointed at the sandbox's /anthropic prefix."""
    return anthropic.Anthropic(
        base_url=f"{sandbox_url}/anthropic",
        api_key="sk-ant-test",
        max_retries=0,
        _strict_response_validation=True,
    )


@pytest.fixture(scope="session")
def _raw_client(sandbox_server: BackgroundSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def http(sandbox_url: str, _raw_client: httpx.Client) -> httpx.Client:
    """A plain HTTP client on the (reset) sandbox, for raw wire checks."""
    return _raw_client
