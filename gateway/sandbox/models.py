"""Which models each simulated provider serves: the pricing catalogue, seen per provider."""

from __future__ import annotations

from gateway.pricing.catalog import CATALOG, Catalog, ModelInfo, ModelKind

# Native embedding sizes; models not listed here embed into 768 dimensions.
EMBEDDING_DIMENSIONS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "nomic-embed-text": 768,
    "togethercomputer/m2-bert-80M-8k-retrieval": 768,
}
DEFAULT_EMBEDDING_DIMENSIONS = 768

# A fixed creation time for listings (2024-05-13), so listings are byte-for-byte stable.
LISTED_CREATED = 1715558400


def embedding_dimensions(model_id: str) -> int:
    """The native vector size of an embedding model."""
    return EMBEDDING_DIMENSIONS.get(model_id, DEFAULT_EMBEDDING_DIMENSIONS)


def ollama_name(model_id: str) -> str:
    """The name Ollama lists a model under: the tag `latest` when none is given."""
    return model_id if ":" in model_id else f"{model_id}:latest"


class ModelDirectory:
    """Model lookup per provider by id or alias (Ollama's `:latest` tag is optional)."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self._catalog = catalog or Catalog(CATALOG)

    def find(self, provider: str, name: str, kind: ModelKind) -> ModelInfo | None:
        """The `kind` model `provider` serves under `name`, or None."""
        if provider == "ollama" and name.endswith(":latest"):
            name = name.removesuffix(":latest")
        for model in self._catalog.serving(name):
            if model.provider == provider and model.kind is kind:
                return model
        return None

    def exists(self, provider: str, name: str) -> bool:
        """Whether `provider` serves a model of any kind under `name`."""
        return any(self.find(provider, name, kind) for kind in ModelKind)

    def of_provider(self, provider: str) -> list[ModelInfo]:
        """Every model `provider` serves, in catalogue order."""
        return self._catalog.of_provider(provider)
