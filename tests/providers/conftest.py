"""Fixtures for provider tests: the registry pointed at the sandbox, and a transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.providers.registry import ProviderRegistry
from gateway.providers.setup import build_registry
from gateway.providers.transport import Transport
from gateway.settings import Settings


@pytest.fixture
def registry(sandbox_url: str) -> ProviderRegistry:
    """Every registered provider, at its sandbox address (the sandbox reset for the test)."""
    return build_registry(Settings(ROUTERAI_SANDBOX_URL=sandbox_url))


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    transport = Transport(connect_timeout_s=2, read_timeout_s=10)
    yield transport
    await transport.close()
