"""A small fixed catalogue, tenants and fakes for the router's tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.credentials.secret import ProviderSecret
from gateway.health.ewma import ProviderHealth
from gateway.pricing.catalog import Capability, Catalog, ModelInfo, ModelKind
from gateway.tenancy.context import TenantContext

NOW = 1_800_000_000.0
ORG = "0b7e3f52-0000-4000-8000-000000000001"
ALL = frozenset(Capability)
TOOLS_JSON = frozenset({Capability.TOOLS, Capability.JSON_MODE})


def chat(
    provider: str,
    model_id: str,
    price_in: float,
    price_out: float,
    tier: int,
    caps: frozenset[Capability] = ALL,
    *aliases: str,
    context: int = 128_000,
    max_out: int = 8_000,
) -> ModelInfo:
    return ModelInfo(
        provider,
        model_id,
        ModelKind.CHAT,
        round(price_in * 1_000_000),
        round(price_out * 1_000_000),
        context,
        max_out,
        tier,
        caps,
        aliases,
    )


# One model per provider, each best at one thing:
#   ollama/tiny   free, tier 1            groq/fast-small  fastest, cheapest paid, tier 2
#   openai/mid    tier 3, mid price       together/large   tier 4, flat price, small context
#   anthropic/big tier 5, most expensive, slowest
FIXED = Catalog(
    (
        chat("ollama", "tiny", 0, 0, 1, TOOLS_JSON, "tiny-local"),
        chat("groq", "fast-small", 0.05, 0.08, 2, TOOLS_JSON, "small"),
        chat("openai", "mid", 0.15, 0.60, 3, ALL),
        chat("together", "large", 0.90, 0.90, 4, TOOLS_JSON, "small", context=32_768),
        chat("anthropic", "big", 3.00, 15.00, 5, ALL),
        ModelInfo("openai", "embed", ModelKind.EMBEDDING, 20_000, 0, 8_191, 0, 1),
    )
)
PROVIDERS = ("ollama", "groq", "together", "openai", "anthropic")
LATENCY_MS = {
    "groq": 200.0,
    "ollama": 400.0,
    "openai": 600.0,
    "together": 900.0,
    "anthropic": 1200.0,
}


def healthy(
    latencies: Mapping[str, float] = LATENCY_MS, **errors: float
) -> dict[str, ProviderHealth]:
    return {p: ProviderHealth(ms, errors.get(p, 0.0), 100, NOW) for p, ms in latencies.items()}


def tenant(plan: str = "growth", **fields: Any) -> TenantContext:
    values: dict[str, Any] = {
        "org_id": ORG,
        "org_slug": "acme",
        "key_id": "key-1",
        "key_prefix": "gw_acme_prod_abcd…",
        "environment": "prod",
        "plan": plan,
    }
    return TenantContext(**{**values, **fields})


def body(text: str = "Say hello.", **fields: Any) -> dict[str, Any]:
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **fields}


@dataclass
class FixedHealth:
    values: dict[str, ProviderHealth] = field(default_factory=healthy)

    async def snapshot(self) -> Mapping[str, ProviderHealth]:
        return self.values


@dataclass
class FixedBreakers:
    open_keys: set[str] = field(default_factory=set)
    asked: list[frozenset[str]] = field(default_factory=list)

    async def blocked(self, keys: Iterable[str], now: float) -> frozenset[str]:
        wanted = frozenset(keys)
        self.asked.append(wanted)
        return wanted & self.open_keys


@dataclass
class FakeVault:
    keys: dict[tuple[str, str], str] = field(default_factory=dict)

    async def get(self, org_id: str, provider: str) -> ProviderSecret | None:
        key = self.keys.get((org_id, provider))
        return ProviderSecret(provider, key) if key else None


@dataclass
class PlatformKeys:
    keys: dict[str, str]

    def get(self, provider: str) -> str | None:
        return self.keys.get(provider)


def platform_keys(*providers: str) -> PlatformKeys:
    return PlatformKeys({p: f"sk-platform-{p}-0000000000" for p in providers or PROVIDERS})
