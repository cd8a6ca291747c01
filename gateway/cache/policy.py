"""What the cache may do for one request: pure decisions from the tenant, the body and headers.

- the plan's tier: Free none, Starter exact only, Growth and up exact + semantic;
- the tenant's settings: on/off, threshold, TTL, temperature limit, client tool results;
- the client's wish: `Cache-Control: no-cache` / `no-store`, or RouterAI's bypass header;
- the request: above the temperature limit (absent temperature is the providers' default
  1.0) or carrying client-side tool results (unless the tenant opts in) is not cached;
- the answer: only successful, complete answers are stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.billing.plans import CacheTier
from gateway.cache.scope import has_client_tool_results
from gateway.tenancy.context import TenantContext, per_tenant

BYPASS_HEADER = "x-routerai-cache"  # "bypass" (or "no-store", "no-cache") skips the cache
DEFAULT_TEMPERATURE = 1.0  # what OpenAI-compatible providers use when none is sent
MAX_SEMANTIC_CHARS = 1_000  # longer prompts exceed what the embedder reads: exact tier only
COMPLETE_FINISH_REASONS = frozenset({"stop", "tool_calls", "function_call"})
_NO_CACHE_DIRECTIVES = frozenset({"no-cache", "no-store"})
_BYPASS_VALUES = frozenset({"bypass", "no-cache", "no-store", "off", "false", "0"})


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """A tenant's effective cache settings: its own, bounded by its plan."""

    tier: CacheTier
    threshold: float
    ttl_s: int
    max_temperature: float
    tool_results: bool
    embedding_model: str | None

    @property
    def semantic(self) -> bool:
        return self.tier is CacheTier.SEMANTIC


@per_tenant
def settings_for(tenant: TenantContext) -> CacheSettings:
    tier = tenant.plan_info.cache if tenant.cache_enabled else CacheTier.NONE
    return CacheSettings(
        tier=tier,
        threshold=tenant.cache_threshold,
        ttl_s=tenant.cache_ttl_s,
        max_temperature=tenant.cache_max_temperature,
        tool_results=tenant.cache_tool_results,
        embedding_model=tenant.cache_embedding_model,
    )


def bypass_reason(
    settings: CacheSettings, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> str | None:
    """Why this request neither reads nor fills the cache, or None when it may do both."""
    if settings.tier is CacheTier.NONE:
        return "disabled"
    if headers is not None and _client_opted_out(headers):
        return "client"
    temperature = body.get("temperature")
    if temperature is None:
        temperature = DEFAULT_TEMPERATURE
    if float(temperature) > settings.max_temperature:
        return "temperature"
    if not settings.tool_results and has_client_tool_results(dict(body)):
        return "tool_results"
    return None


def semantic_query(settings: CacheSettings, query: str | None) -> str | None:
    """The text the semantic tier compares, or None when this request is exact-only."""
    if not settings.semantic or query is None or len(query) > MAX_SEMANTIC_CHARS:
        return None
    return query


def storable(response: Any) -> bool:
    """A successful, complete chat.completion: every choice finished on its own."""
    if not isinstance(response, dict) or response.get("error") is not None:
        return False
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices:
        return False
    return all(
        isinstance(c, dict) and c.get("finish_reason") in COMPLETE_FINISH_REASONS for c in choices
    )


def _client_opted_out(headers: Mapping[str, str]) -> bool:
    control = headers.get("cache-control") or headers.get("Cache-Control") or ""
    directives = {d.strip().split("=")[0].lower() for d in control.split(",")}
    if directives & _NO_CACHE_DIRECTIVES:
        return True
    value = headers.get(BYPASS_HEADER) or headers.get(BYPASS_HEADER.title()) or ""
    return value.strip().lower() in _BYPASS_VALUES
