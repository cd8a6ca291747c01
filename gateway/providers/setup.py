"""Builds the provider registry and the platform's credentials from settings."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.providers.openai_compat import OpenAICompatible
from gateway.providers.registry import ProviderRegistry
from gateway.settings import Settings

OFFICIAL_BASE_URLS = {
    "openai": "https://api.openai.com",
    "groq": "https://api.groq.com/openai",
    "together": "https://api.together.xyz",
    "anthropic": "https://api.anthropic.com",
    "ollama": "http://127.0.0.1:11434",
}

SANDBOX_KEY = "sk-routerai-sandbox"


def base_url(settings: Settings, provider: str) -> str:
    """Where `provider` lives: under the sandbox when it is set, else the vendor's address."""
    if settings.sandbox_url:
        return f"{settings.sandbox_url.rstrip('/')}/{provider}"
    if provider == "ollama" and settings.ollama_base_url:
        return settings.ollama_base_url.rstrip("/")
    return OFFICIAL_BASE_URLS[provider]


def build_registry(settings: Settings) -> ProviderRegistry:
    registry = ProviderRegistry()
    for name in ("openai", "groq", "together"):
        registry.register(OpenAICompatible(name, base_url(settings, name)))
    return registry


@dataclass(frozen=True, slots=True)
class PlatformCredentials:
    """The platform's own provider keys (in sandbox mode, a placeholder for every provider)."""

    keys: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings, providers: list[str]) -> PlatformCredentials:
        if settings.sandbox_url:
            return cls(dict.fromkeys(providers, SANDBOX_KEY))
        secrets = {
            "openai": settings.openai_api_key,
            "anthropic": settings.anthropic_api_key,
            "groq": settings.groq_api_key,
            "together": settings.together_api_key,
        }
        keys = {
            name: secret.get_secret_value()
            for name, secret in secrets.items()
            if secret is not None and name in providers
        }
        if settings.ollama_base_url and "ollama" in providers:
            keys["ollama"] = "ollama"
        return cls(keys)

    def get(self, provider: str) -> str | None:
        return self.keys.get(provider)
