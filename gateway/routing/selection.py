"""`Candidate`: one (provider, model) pair ready to call, with the credential to call it with.

Also `ModelSelector`, the catalogue-order selection the pipeline used before the router:
platform keys only, the tenant's allow-lists, `auto` meaning `DEFAULT_CHAT_MODEL`. It is kept,
unchanged in behaviour, until the pipeline calls `gateway.routing.router.Router` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.credentials.secret import ProviderSecret
from gateway.errors import NotFound
from gateway.pricing.catalog import Catalog, ModelInfo, ModelKind
from gateway.routing.eligibility import AUTO, CredentialSource, credential_key, model_allowed
from gateway.tenancy.context import TenantContext

__all__ = ["AUTO", "DEFAULT_CHAT_MODEL", "Candidate", "KeySource", "ModelSelector"]

DEFAULT_CHAT_MODEL = "gpt-4o-mini"


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


class ModelSelector:
    """Catalogue-order candidates on platform keys (superseded by `Router`)."""

    def __init__(self, catalog: Catalog, credentials: KeySource, providers: Sequence[str]) -> None:
        self._catalog = catalog
        self._credentials = credentials
        self._providers = frozenset(providers)

    def candidates(self, tenant: TenantContext, name: str, kind: ModelKind) -> list[Candidate]:
        """Every eligible candidate for `name`; 404 model_not_found when there is none."""
        lookup = DEFAULT_CHAT_MODEL if name == AUTO and kind is ModelKind.CHAT else name
        found = []
        for model in self._catalog.serving(lookup):
            key = self._credentials.get(model.provider)
            if model.kind is kind and key and self._allowed(tenant, model):
                ckey = credential_key(model.provider, CredentialSource.PLATFORM, tenant.org_id)
                secret = ProviderSecret(model.provider, key)
                found.append(Candidate(model, secret, CredentialSource.PLATFORM, ckey))
        if not found:
            raise NotFound(
                f"The model '{name}' does not exist or your organization does not have "
                "access to it.",
                param="model",
                code="model_not_found",
            )
        return found

    def available_models(self, tenant: TenantContext) -> list[ModelInfo]:
        """The catalogue entries this tenant may call (for GET /v1/models)."""
        return [
            m
            for m in self._catalog.models
            if self._credentials.get(m.provider) and self._allowed(tenant, m)
        ]

    def _allowed(self, tenant: TenantContext, model: ModelInfo) -> bool:
        return model.provider in self._providers and model_allowed(tenant, model)
