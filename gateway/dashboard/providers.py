"""The providers page's service: each provider's health for the organization, and its own keys.

Health is the organization's own view of the last hour: from its `request_logs` (answers
served from the cache are left out: no provider was called), the error rate counts the
provider's failures (HTTP 5xx: upstream errors, unavailability, timeouts) and the latency
percentiles the successful calls; the breaker state is the one the gateway would consult for
this organization's calls (its own key's breaker, else the platform key's).

Keys are the organization's own provider keys (BYOK), through `CredentialService`: checked
with the provider before they are stored, and shown by their last four characters only.
Listing needs Action.VIEW; adding, replacing and removing need Action.CONFIGURE.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.auth.permissions import Action, Actor, require
from gateway.credentials.crypto import SecretBox
from gateway.credentials.service import BYOK_PROVIDERS, CredentialService
from gateway.credentials.store import CredentialInfo, CredentialNotFound
from gateway.credentials.vault import CredentialVault
from gateway.dashboard.overview import percentile
from gateway.db.enums import CacheStatus
from gateway.db.models import Organization, ProviderCredential, RequestLog
from gateway.db.sessions import tenant_session
from gateway.health.breaker import BreakerState, BreakerStatus
from gateway.health.breaker_store import RedisBreakerStore
from gateway.pricing.catalog import PROVIDERS
from gateway.providers.credentials import PlatformCredentials
from gateway.providers.discovery import CredentialProbe
from gateway.providers.transport import Transport
from gateway.routing.eligibility import (
    CredentialSource,
    ProviderAccess,
    credential_key,
    provider_access,
)
from gateway.routing.selection import KeySource
from gateway.settings import Settings
from gateway.tenancy.changes import forget_org
from gateway.tenancy.context import TenantContext

HEALTH_WINDOW = timedelta(hours=1)
HEALTH_SAMPLE = 20_000
CACHE_HITS = (CacheStatus.EXACT, CacheStatus.SEMANTIC)
BREAKER_LABELS = {
    BreakerStatus.CLOSED: "closed",
    BreakerStatus.OPEN: "open",
    BreakerStatus.HALF_OPEN: "half_open",
}


class BreakerReader(Protocol):
    async def state(self, key: str) -> BreakerState:
        """A credential's breaker as stored now (`RedisBreakerStore.state`)."""
        ...


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """One provider's last hour for one organization."""

    requests: int = 0
    errors: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """One provider as the page shows it: plan, credential, breaker and health."""

    provider: str
    in_plan: bool
    source: CredentialSource | None
    key: CredentialInfo | None
    takes_own_key: bool
    breaker: str
    health: ProviderHealth

    @property
    def uses_platform_key(self) -> bool:
        return self.source is CredentialSource.PLATFORM


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """Which providers an organization may call now, with whose key (as the router decides)."""

    org_id: uuid.UUID
    access: ProviderAccess
    byok: tuple[str, ...]
    tenant: TenantContext


def org_tenant(org: Organization, byok: tuple[str, ...]) -> TenantContext:
    """The organization as the gateway sees it (routing, limits, budgets), with no API key."""
    return TenantContext(
        org_id=str(org.id),
        org_slug=org.slug,
        key_id="",
        key_prefix="",
        environment="",
        plan=org.plan.value,
        plan_status=org.plan_status.value,
        org_rpm=org.rpm_limit,
        org_tpm=org.tpm_limit,
        budget_tokens=org.monthly_token_budget,
        budget_usd_micro=org.monthly_usd_budget,
        budget_reset_day=org.budget_reset_day,
        allowed_providers=tuple(org.allowed_providers) if org.allowed_providers else None,
        allowed_models=tuple(org.allowed_models) if org.allowed_models else None,
        byok_providers=byok,
    )


def load_access(
    engine: Engine,
    org_id: uuid.UUID,
    *,
    platform: KeySource,
    providers: Collection[str] = PROVIDERS,
    sandbox_mode: bool,
) -> OrgAccess:
    """The organization's provider access, read from the database (LookupError: no such org)."""
    with tenant_session(engine, org_id) as session:
        org = session.get(Organization, org_id)
        if org is None:
            raise LookupError("the organization no longer exists")
        statement = select(ProviderCredential.provider).where(ProviderCredential.org_id == org_id)
        byok = tuple(sorted(session.exec(statement).all()))
    tenant = org_tenant(org, byok)
    access = provider_access(
        tenant,
        registered=providers,
        platform_keys=[p for p in providers if platform.get(p)],
        sandbox_mode=sandbox_mode,
    )
    return OrgAccess(org_id, access, byok, tenant)


def health_by_provider(
    session: Session, *, org_id: uuid.UUID, since: datetime
) -> dict[str, ProviderHealth]:
    """Requests, provider failures and latency percentiles per provider since `since`."""
    statement = (
        select(RequestLog.provider, RequestLog.status_code, RequestLog.latency_ms)
        .where(
            RequestLog.org_id == org_id,
            col(RequestLog.created_at) >= since,
            col(RequestLog.provider).is_not(None),
            col(RequestLog.cache_status).not_in(CACHE_HITS),
        )
        .order_by(col(RequestLog.created_at).desc())
        .limit(HEALTH_SAMPLE)
    )
    rows: dict[str, list[tuple[int, int]]] = {}
    for provider, status, latency in session.exec(statement):
        rows.setdefault(str(provider), []).append((int(status), int(latency)))
    return {provider: summarize(samples) for provider, samples in rows.items()}


def summarize(samples: Sequence[tuple[int, int]]) -> ProviderHealth:
    """(status, latency ms) pairs → counts and percentiles of the successful latencies."""
    ok = sorted(latency for status, latency in samples if status < 400)
    errors = sum(1 for status, _ in samples if status >= 500)
    return ProviderHealth(len(samples), errors, percentile(ok, 50), percentile(ok, 95))


class ProvidersService:
    """The organization's providers: health, plan, platform key use and its own keys."""

    def __init__(
        self,
        engine: Engine,
        credentials: CredentialService,
        breakers: BreakerReader,
        *,
        platform: KeySource,
        sandbox_mode: bool,
        providers: Sequence[str] = PROVIDERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._credentials = credentials
        self._breakers = breakers
        self._platform = platform
        self._sandbox = sandbox_mode
        self._providers = tuple(providers)
        self._clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        redis: aioredis.Redis,
        transport: Transport,
        *,
        vault: CredentialVault | None = None,
    ) -> ProvidersService:
        """As the web app runs it: keys checked through `transport`, the gateway's breakers
        read from Redis, and every key change dropping the organization's tenant contexts
        (and forgetting the key in `vault`, the mounted gateway's, when it is given)."""

        async def changed(org_id: str) -> None:
            await forget_org(engine, redis, uuid.UUID(org_id))

        credentials = CredentialService(
            engine,
            SecretBox.from_secret_key(settings.secret_key.get_secret_value()),
            CredentialProbe.from_settings(transport, settings),
            vault=vault,
            on_change=changed,
        )
        return cls(
            engine,
            credentials,
            RedisBreakerStore(redis),
            platform=PlatformCredentials.from_settings(settings, list(PROVIDERS)),
            sandbox_mode=settings.sandbox_mode,
        )

    async def access(self, actor: Actor) -> OrgAccess:
        """Which providers the organization may call now, and with whose key."""
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(
            load_access,
            self._engine,
            actor.org_id,
            platform=self._platform,
            providers=self._providers,
            sandbox_mode=self._sandbox,
        )

    async def statuses(self, actor: Actor) -> list[ProviderStatus]:
        """Every provider, in catalogue order, as the organization sees it."""
        found = await self.access(actor)
        keys = {info.provider: info for info in await self._credentials.list_all(actor.org_id)}
        since = datetime.fromtimestamp(self._clock(), UTC) - HEALTH_WINDOW
        health = await asyncio.to_thread(self._health, actor.org_id, since)
        sources = found.access.sources
        breakers = await asyncio.gather(
            *(self._breaker(p, sources.get(p), actor.org_id) for p in self._providers)
        )
        return [
            ProviderStatus(
                provider=provider,
                in_plan=provider not in found.access.over_plan,
                source=sources.get(provider),
                key=keys.get(provider),
                takes_own_key=provider in BYOK_PROVIDERS,
                breaker=breaker,
                health=health.get(provider, ProviderHealth()),
            )
            for provider, breaker in zip(self._providers, breakers, strict=True)
        ]

    async def add_key(self, actor: Actor, provider: str, secret: str) -> CredentialInfo:
        """Check the key with the provider, then store it (see `CredentialService.add`)."""
        require(actor.role, Action.CONFIGURE)
        return await self._credentials.add(actor.org_id, provider, secret)

    async def replace_key(self, actor: Actor, provider: str, secret: str) -> CredentialInfo:
        """Check the new key with the provider, then swap it in."""
        require(actor.role, Action.CONFIGURE)
        return await self._credentials.replace(actor.org_id, provider, secret)

    async def remove_key(self, actor: Actor, provider: str) -> None:
        """Remove the organization's key (CredentialNotFound when it had none)."""
        require(actor.role, Action.CONFIGURE)
        if not await self._credentials.remove(actor.org_id, provider):
            raise CredentialNotFound(f"no {provider} key is stored")

    def _health(self, org_id: uuid.UUID, since: datetime) -> dict[str, ProviderHealth]:
        with tenant_session(self._engine, org_id) as session:
            return health_by_provider(session, org_id=org_id, since=since)

    async def _breaker(
        self, provider: str, source: CredentialSource | None, org_id: uuid.UUID
    ) -> str:
        if source is None:
            return "unused"
        state = await self._breakers.state(credential_key(provider, source, str(org_id)))
        return BREAKER_LABELS[state.status]
