"""The provider registry: name → adapter, refusing duplicate names."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.providers.base import ProviderAdapter


class ProviderRegistry:
    def __init__(self) -> None:
        self._adapters: dict[str, ProviderAdapter] = {}

    def register(self, adapter: ProviderAdapter) -> None:
        if adapter.name in self._adapters:
            raise ValueError(f"a provider named {adapter.name!r} is already registered")
        self._adapters[adapter.name] = adapter

    def get(self, name: str) -> ProviderAdapter:
        return self._adapters[name]

    def __contains__(self, name: object) -> bool:
        return name in self._adapters

    def __iter__(self) -> Iterator[ProviderAdapter]:
        return iter(self._adapters.values())

    def names(self) -> list[str]:
        return list(self._adapters)
