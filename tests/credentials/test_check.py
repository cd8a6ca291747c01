"""Asking the provider about a key: the verdict table, and the sandbox as a real provider."""

from __future__ import annotations

import httpx
import pytest

from gateway.credentials.check import (
    CredentialRejected,
    CredentialUnverified,
    ProbeCall,
    check_credential,
    verdict,
)


@pytest.mark.parametrize("status", [200, 204, 429])
def test_accepted(status: int) -> None:
    verdict("openai", status)


@pytest.mark.parametrize("status", [401, 403])
def test_refused(status: int) -> None:
    with pytest.raises(CredentialRejected) as caught:
        verdict("openai", status)
    assert caught.value.status == status and "refused" in str(caught.value)


@pytest.mark.parametrize("status", [None, 404, 500, 503])
def test_no_verdict(status: int | None) -> None:
    with pytest.raises(CredentialUnverified):
        verdict("openai", status)


def sandbox_probe(sandbox_url: str) -> ProbeCall:
    """A ProbeCall as the composition root would build it: GET /v1/models with the key."""

    async def call(provider: str, secret: str) -> int | None:
        async with httpx.AsyncClient(base_url=f"{sandbox_url}/{provider}") as client:
            try:
                response = await client.get(
                    "/v1/models", headers={"Authorization": f"Bearer {secret}"}
                )
            except httpx.TransportError:
                return None
            return response.status_code

    return call


async def test_the_sandbox_accepts_a_key(sandbox_url: str) -> None:
    await check_credential("groq", "gsk-good-key-0123456789", call=sandbox_probe(sandbox_url))


async def test_the_sandbox_refuses_an_invalid_key(sandbox_url: str) -> None:
    with pytest.raises(CredentialRejected) as caught:
        await check_credential("openai", "sk-invalid-0123456789", call=sandbox_probe(sandbox_url))
    assert caught.value.status == 401


async def test_an_unreachable_provider_gives_no_verdict() -> None:
    with pytest.raises(CredentialUnverified):
        await check_credential(
            "openai", "sk-0123456789abcdef", call=sandbox_probe("http://127.0.0.1:9")
        )
