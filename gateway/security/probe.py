"""The credential probe (`gateway.credentials.check.ProbeCall`) over a guarded HTTP client.

Sends each provider's cheapest authenticated request with the key (OpenAI-compatible
vendors and Anthropic: `GET /v1/models`; Ollama: `GET /api/tags`) and returns the status,
None when the provider could not be reached. The base URL may be the tenant's own (a
self-hosted endpoint), so the request goes through `guarded_async_client`: an address
RouterAI must not reach raises `UnsafeURL`, which `check_credential` reports as
`CredentialAddressRefused`.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from gateway.credentials.check import ProbeCall
from gateway.security.http import BlockedRequest, guarded_async_client
from gateway.security.urls import UnsafeURL

ANTHROPIC_VERSION = "2023-06-01"


def probe_request(provider: str, secret: str) -> tuple[str, dict[str, str]]:
    """(path, headers) of the provider's cheapest authenticated request."""
    if provider == "ollama":
        return "/api/tags", {}
    if provider == "anthropic":
        return "/v1/models", {"x-api-key": secret, "anthropic-version": ANTHROPIC_VERSION}
    return "/v1/models", {"Authorization": f"Bearer {secret}"}


def guarded_probe(
    base_url_for: Callable[[str], str], *, allow_private: bool = False, timeout_s: float = 10.0
) -> ProbeCall:
    """A ProbeCall asking the provider at `base_url_for(provider)` about a key."""

    async def call(provider: str, secret: str) -> int | None:
        path, headers = probe_request(provider, secret)
        url = base_url_for(provider).rstrip("/") + path
        async with guarded_async_client(allow_private=allow_private, timeout=timeout_s) as http:
            try:
                response = await http.get(url, headers=headers)
            except BlockedRequest as exc:
                raise UnsafeURL(str(exc)) from None
            except httpx.HTTPError:
                return None
        return response.status_code

    return call
