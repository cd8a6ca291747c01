"""`Candidate`: one (provider, model) pair ready to call, with the credential to call it with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.credentials.secret import ProviderSecret
from gateway.pricing.catalog import ModelInfo
from gateway.routing.eligibility import AUTO, CredentialSource

__all__ = ["AUTO", "Candidate", "KeySource"]


class KeySource(Protocol):
    """The platform's own keys by provider (`gateway.providers.credentials.PlatformCredentials`)."""

    def get(self, provider: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pair the executor may call. Its repr shows the key's last four characters at most."""

    model: ModelInfo
    secret: ProviderSecret
    credential_source: CredentialSource = CredentialSource.PLATFORM
    credential_key: str = ""
    output_tokens: int = 0

    @property
    def provider(self) -> str:
        return self.model.provider

    @property
    def api_key(self) -> str:
        """The key in clear, for the adapter building the upstream request."""
        return self.secret.reveal()

    @property
    def label(self) -> str:
        return f"{self.model.provider}/{self.model.id}"
