"""The platform's own provider keys, read from settings (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.settings import Settings

SANDBOX_KEY = "sk-routerai-sandbox"


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
