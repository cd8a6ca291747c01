"""Builds a TenantContext from the database (the slow path behind the tenant caches)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from sqlmodel import select

from gateway.db.models import ApiKey, Organization, ProviderCredential
from gateway.db.sessions import tenant_session
from gateway.tenancy.context import TenantContext
from gateway.tenancy.keys import resolve_api_key


class DatabaseTenantLoader:
    """Resolves a full API key to its tenant context, off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def __call__(self, full_key: str) -> TenantContext | None:
        return await asyncio.to_thread(self.load, full_key)

    def load(self, full_key: str) -> TenantContext | None:
        resolved = resolve_api_key(self._engine, full_key=full_key)
        if resolved is None:
            return None
        with tenant_session(self._engine, resolved.org.id) as session:
            statement = select(ProviderCredential.provider).where(
                ProviderCredential.org_id == resolved.org.id
            )
            byok = tuple(sorted(session.exec(statement).all()))
        return tenant_context(resolved.org, resolved.key, byok)


def tenant_context(
    org: Organization, key: ApiKey, byok_providers: tuple[str, ...] = ()
) -> TenantContext:
    """The plain-value view of an organization and one of its keys."""
    return TenantContext(
        org_id=str(org.id),
        org_slug=org.slug,
        key_id=str(key.id),
        key_prefix=key.prefix,
        environment=key.environment.value,
        plan=org.plan.value,
        plan_status=org.plan_status.value,
        org_rpm=org.rpm_limit,
        org_tpm=org.tpm_limit,
        key_rpm=key.rpm_limit,
        key_tpm=key.tpm_limit,
        budget_tokens=org.monthly_token_budget,
        budget_usd_micro=org.monthly_usd_budget,
        budget_reset_day=org.budget_reset_day,
        routing_strategy=org.routing_strategy.value,
        routing_weights=dict(org.routing_weights or {}),
        prefer_local=org.prefer_local,
        baseline_model=org.baseline_model,
        allowed_providers=tuple(org.allowed_providers) if org.allowed_providers else None,
        allowed_models=tuple(org.allowed_models) if org.allowed_models else None,
        byok_providers=byok_providers,
        cache_enabled=org.cache_enabled,
        cache_threshold=org.cache_threshold,
        cache_ttl_s=org.cache_ttl_s,
        cache_max_temperature=org.cache_max_temperature,
    )
