"""How slow the simulated providers are: a frozen `SandboxConfig` and the latency it implies.

Latency has two parts per provider: the wait before the first token (or before the
whole body of a non-streamed answer) and a delay per streamed token. Defaults are
realistic orders of magnitude; `latency_ms` sets one first-token latency for every
provider and turns the per-token delay off, so `latency_ms=0` means no sleeping at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from gateway.pricing.catalog import PROVIDERS


@dataclass(frozen=True, slots=True)
class ProviderLatency:
    """Time to first token and time per streamed token, in milliseconds."""

    first_token_ms: float
    per_token_ms: float

    def __post_init__(self) -> None:
        if self.first_token_ms < 0 or self.per_token_ms < 0:
            raise ValueError("latencies must not be negative")


DEFAULT_LATENCY: Mapping[str, ProviderLatency] = MappingProxyType(
    {
        "ollama": ProviderLatency(150, 20),
        "groq": ProviderLatency(80, 2),
        "together": ProviderLatency(250, 8),
        "openai": ProviderLatency(350, 12),
        "anthropic": ProviderLatency(450, 15),
    }
)


@dataclass(frozen=True)
class SandboxConfig:
    """The sandbox's knobs, fixed when the app is created.

    `latency_ms`: None keeps the realistic per-provider defaults; a number sets that
    first-token latency for every provider with no per-token delay (0 = never sleep).
    `provider_latency`: per-provider overrides, winning over both of the above.
    """

    latency_ms: int | None = None
    provider_latency: Mapping[str, ProviderLatency] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.latency_ms is not None and self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        unknown = set(self.provider_latency) - set(PROVIDERS)
        if unknown:
            raise ValueError(f"unknown providers in provider_latency: {sorted(unknown)}")
        object.__setattr__(self, "provider_latency", MappingProxyType(dict(self.provider_latency)))

    def latency_for(self, provider: str) -> ProviderLatency:
        """The latency one provider answers with under this configuration."""
        if provider in self.provider_latency:
            return self.provider_latency[provider]
        if self.latency_ms is not None:
            return ProviderLatency(self.latency_ms, 0)
        return DEFAULT_LATENCY[provider]
