"""Which (provider, model) pairs may serve a request for a given tenant, in preference order.

Pure: the tenant's allow-lists, the catalogue and the available credentials go
in, an ordered list of candidates comes out. `auto` resolves to the default
model until the router ranks candidates by the tenant's strategy.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import NotFound
from gateway.pricing.catalog import Catalog, ModelInfo, ModelKind
from gateway.providers.credentials import PlatformCredentials
from gateway.tenancy.context import TenantContext

AUTO = "auto"
DEFAULT_CHAT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True, slots=True)
class Candidate:
    model: ModelInfo
    api_key: str

    @property
    def provider(self) -> str:
        return self.model.provider


class ModelSelector:
    def __init__(
        self, catalog: Catalog, credentials: PlatformCredentials, providers: list[str]
    ) -> None:
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
                found.append(Candidate(model, key))
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
        if model.provider not in self._providers:
            return False
        if tenant.allowed_providers is not None and model.provider not in tenant.allowed_providers:
            return False
        if tenant.allowed_models is None:
            return True
        return not {model.id, *model.aliases}.isdisjoint(tenant.allowed_models)
