"""Builds the provider registry from settings: each provider's adapter at its base URL."""

from __future__ import annotations

from gateway.providers.anthropic import AnthropicAdapter
from gateway.providers.ollama import OllamaAdapter
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


def base_url(settings: Settings, provider: str) -> str:
    """Where `provider` lives: under the sandbox when it is set, else the vendor's address."""
    if settings.sandbox_url:
        return f"{settings.sandbox_url.rstrip('/')}/{provider}"
    if provider == "ollama" and settings.ollama_base_url:
        return settings.ollama_base_url.rstrip("/")
    return OFFICIAL_BASE_URLS[provider]


def build_registry(settings: Settings) -> ProviderRegistry:
    """Every provider RouterAI speaks to: OpenAI-compatible vendors, Anthropic and Ollama."""
    registry = ProviderRegistry()
    for name in ("openai", "groq", "together"):
        registry.register(OpenAICompatible(name, base_url(settings, name)))
    registry.register(AnthropicAdapter(base_url(settings, "anthropic")))
    registry.register(OllamaAdapter(base_url(settings, "ollama")))
    return registry
