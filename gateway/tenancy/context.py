"""The tenant context: everything the pipeline needs to know about the caller, as plain values.

Built from the database once, then cached in Redis and in process (see resolver).
It carries no secret: the API key appears only as its id and display prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import orjson

from gateway.billing.plans import Plan, get_plan

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TenantContext:
    org_id: str
    org_slug: str
    key_id: str
    key_prefix: str
    environment: str
    plan: str
    plan_status: str = "active"
    org_rpm: int | None = None
    org_tpm: int | None = None
    key_rpm: int | None = None
    key_tpm: int | None = None
    budget_tokens: int | None = None
    budget_usd_micro: int | None = None
    budget_reset_day: int = 1
    routing_strategy: str = "balanced"
    routing_weights: dict[str, float] = field(default_factory=dict)
    prefer_local: bool = False
    baseline_model: str = "gpt-4o"
    allowed_providers: tuple[str, ...] | None = None
    allowed_models: tuple[str, ...] | None = None
    byok_providers: tuple[str, ...] = ()
    cache_enabled: bool = True
    cache_threshold: float = 0.92
    cache_ttl_s: int = 86_400
    cache_max_temperature: float = 0.7
    cache_tool_results: bool = False
    cache_embedding_model: str | None = None

    @property
    def plan_info(self) -> Plan:
        return get_plan(self.plan)

    @property
    def requests_per_minute(self) -> int:
        return self.org_rpm or self.plan_info.requests_per_minute

    @property
    def tokens_per_minute(self) -> int:
        return self.org_tpm or self.plan_info.tokens_per_minute

    @property
    def token_budget(self) -> int | None:
        """The monthly token cap: the org's own, else the plan's hard cap (Free)."""
        if self.budget_tokens is not None:
            return self.budget_tokens
        plan = self.plan_info
        return plan.included_tokens if plan.hard_cap else None

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> TenantContext:
        data: dict[str, Any] = orjson.loads(raw)
        for name in ("allowed_providers", "allowed_models", "byok_providers"):
            if data.get(name) is not None:
                data[name] = tuple(data[name])
        return cls(**data)


REMEMBERED_TENANTS = 10_000
"""How many tenant contexts a `per_tenant` function remembers before starting afresh."""


def per_tenant(derive: Callable[[TenantContext], T]) -> Callable[[TenantContext], T]:
    """`derive`, worked out once per tenant context object and remembered.

    A context is immutable, the resolver hands out the same object for as long as it caches
    it, and a changed tenant (a revoked key, a new plan) is a new object, so what is derived
    from one alone never goes stale.
    """
    remembered: dict[int, tuple[TenantContext, T]] = {}

    def derived(tenant: TenantContext) -> T:
        known = remembered.get(id(tenant))
        if known is not None and known[0] is tenant:
            return known[1]
        value = derive(tenant)
        if len(remembered) >= REMEMBERED_TENANTS:
            remembered.clear()
        remembered[id(tenant)] = (tenant, value)
        return value

    return derived
