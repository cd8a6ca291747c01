"""The cache page's service: how the organization's cache performs, its settings, clearing it.

The hit rate per day comes from `usage_daily` (today live from `request_logs`, as on the
overview), hits by tier from `request_logs.cache_status`, money saved and the entry count
from the cache's own counters in Redis, memory from Redis's `MEMORY USAGE` over the
organization's namespace `gw:cache:{org_id}:` (nothing outside it is read or removed).

Changing the settings needs CONFIGURE and stays inside the plan (Free: no cache; Starter:
exact matches only, so no similarity threshold; Growth and up: semantic too). A change
drops the organization's cached tenant contexts, so every gateway process applies it from
its next request; clearing writes a `clear` event to the organization's cache log, which
every process follows to drop its in-memory vectors.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy import Engine, func
from sqlmodel import Session, col

from gateway.analytics.queries import daily_usage
from gateway.analytics.rollup import day_groups
from gateway.analytics.totals import DayTotals, fold_by_day
from gateway.auth.permissions import Action, Actor, require
from gateway.billing.plans import CacheTier, get_plan
from gateway.cache.semantic import CacheConfig
from gateway.cache.store import RedisCacheStore, namespace
from gateway.db.enums import CacheStatus
from gateway.db.models import Organization, RequestLog
from gateway.db.sessions import tenant_session
from gateway.tenancy.changes import forget_org

THRESHOLD_RANGE = (0.80, 0.99)
TTL_RANGE_S = (60, 30 * 86_400)
TEMPERATURE_RANGE = (0.0, 2.0)
MEMORY_SAMPLE_KEYS = 20_000
TIER_NOTES = {
    CacheTier.NONE: "The Free plan has no cache. Upgrade to Starter for exact-match caching.",
    CacheTier.EXACT: (
        "Your plan caches exact matches. Semantic matching of paraphrases starts with Growth."
    ),
    CacheTier.SEMANTIC: "Your plan caches exact matches and paraphrases (semantic matching).",
}


@dataclass(frozen=True, slots=True)
class CacheSettingsForm:
    """The organization's own cache settings, as stored on `organizations`."""

    enabled: bool
    threshold: float
    ttl_s: int
    max_temperature: float


@dataclass(frozen=True, slots=True)
class HitRateDay:
    day: date
    hits: int
    misses: int

    @property
    def rate(self) -> float | None:
        return self.hits / (self.hits + self.misses) if self.hits + self.misses else None


@dataclass(frozen=True, slots=True)
class CacheReport:
    """Everything the cache page shows; money in integer micro-USD."""

    plan: str
    tier: CacheTier
    settings: CacheSettingsForm
    days: tuple[HitRateDay, ...]
    exact_hits: int
    semantic_hits: int
    saved_micro: int
    entries: int
    memory_bytes: int

    @property
    def tier_note(self) -> str:
        return TIER_NOTES[self.tier]

    @property
    def hit_rate(self) -> float | None:
        hits = sum(d.hits for d in self.days)
        lookups = hits + sum(d.misses for d in self.days)
        return hits / lookups if lookups else None


class CacheAdmin:
    """One organization's cache, as the dashboard shows and changes it."""

    def __init__(
        self,
        engine: Engine,
        redis: aioredis.Redis,
        *,
        store: RedisCacheStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._store = store or RedisCacheStore(redis, max_entries=CacheConfig().max_entries_per_org)
        self._clock = clock

    async def report(self, actor: Actor, *, days: int = 14) -> CacheReport:
        require(actor.role, Action.VIEW)
        now = datetime.fromtimestamp(self._clock(), UTC)
        org, series, tiers = await asyncio.to_thread(self._load, actor.org_id, days, now)
        key = str(actor.org_id)
        stats = await self._store.stats(key, int(self._clock() * 1000))
        memory = await self._memory(key)
        tier = get_plan(org.plan).cache
        return CacheReport(
            plan=org.plan.value,
            tier=tier,
            settings=_form(org),
            days=series,
            exact_hits=tiers.get(CacheStatus.EXACT.value, 0),
            semantic_hits=tiers.get(CacheStatus.SEMANTIC.value, 0),
            saved_micro=stats.saved_micro,
            entries=stats.entries,
            memory_bytes=memory,
        )

    async def save_settings(self, actor: Actor, form: CacheSettingsForm) -> CacheSettingsForm:
        """Validate and store; every gateway process applies it from its next request."""
        require(actor.role, Action.CONFIGURE)
        saved = await asyncio.to_thread(self._save, actor.org_id, form)
        await forget_org(self._engine, self._redis, actor.org_id)
        return saved

    async def clear(self, actor: Actor) -> int:
        """Remove every cached answer of the organization; returns how many there were."""
        require(actor.role, Action.CONFIGURE)
        return await self._store.clear(str(actor.org_id))

    # -- reading ------------------------------------------------------------------------

    def _load(
        self, org_id: uuid.UUID, days: int, now: datetime
    ) -> tuple[Organization, tuple[HitRateDay, ...], dict[str, int]]:
        today = now.date()
        first = today - timedelta(days=max(1, days) - 1)
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id)
            if org is None:
                raise LookupError("the organization no longer exists")
            series = hit_rate_days(session, org_id=org_id, first=first, today=today)
            tiers = hits_by_tier(session, org_id=org_id, since=_midnight(first))
        return org, series, tiers

    async def _memory(self, org_id: str) -> int:
        """Bytes Redis holds for the organization's cache (sampled past MEMORY_SAMPLE_KEYS)."""
        pattern = _glob_escape(namespace(org_id)) + "*"
        keys: list[bytes] = []
        async for key in self._redis.scan_iter(match=pattern, count=1000):
            keys.append(key)
        if not keys:
            return 0
        sample = keys[:MEMORY_SAMPLE_KEYS]
        pipe = self._redis.pipeline(transaction=False)
        for key in sample:
            pipe.memory_usage(key)
        sizes = [int(size or 0) for size in await pipe.execute()]
        return sum(sizes) * len(keys) // len(sample)

    # -- writing ------------------------------------------------------------------------

    def _save(self, org_id: uuid.UUID, form: CacheSettingsForm) -> CacheSettingsForm:
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id, with_for_update=True)
            if org is None:
                raise LookupError("the organization no longer exists")
            checked = validate_settings(form, get_plan(org.plan).cache, _form(org))
            org.cache_enabled = checked.enabled
            org.cache_threshold = checked.threshold
            org.cache_ttl_s = checked.ttl_s
            org.cache_max_temperature = checked.max_temperature
            session.add(org)
        return checked


def validate_settings(
    form: CacheSettingsForm, tier: CacheTier, current: CacheSettingsForm
) -> CacheSettingsForm:
    """`form` if the plan and the ranges allow it, else ValueError saying why."""
    if tier is CacheTier.NONE and form != current:
        raise ValueError("the Free plan has no cache; upgrade to Starter to turn it on")
    if tier is CacheTier.EXACT and abs(form.threshold - current.threshold) > 1e-9:
        raise ValueError("the similarity threshold applies to semantic matching, from Growth")
    _within("similarity threshold", form.threshold, THRESHOLD_RANGE)
    _within("time to live (seconds)", form.ttl_s, TTL_RANGE_S)
    _within("temperature limit", form.max_temperature, TEMPERATURE_RANGE)
    return CacheSettingsForm(
        bool(form.enabled),
        round(float(form.threshold), 4),
        int(form.ttl_s),
        round(float(form.max_temperature), 2),
    )


def hit_rate_days(
    session: Session, *, org_id: uuid.UUID, first: date, today: date
) -> tuple[HitRateDay, ...]:
    """Hits and misses per day: rolled-up days from usage_daily, today from request_logs."""
    past = daily_usage(session, org_id=org_id, first=first, last=today - timedelta(days=1))
    live = fold_by_day(day_groups(session, org_id=org_id, first=today, last=today))
    now = live.get(today, DayTotals())
    return (
        *(HitRateDay(p.day, p.cache_hits, p.cache_misses) for p in past),
        HitRateDay(today, now.cache_hits, now.cache_misses),
    )


def hits_by_tier(session: Session, *, org_id: uuid.UUID, since: datetime) -> dict[str, int]:
    """Requests per cache status since `since` (exact, semantic, miss, bypass)."""
    statement = (
        sa.select(RequestLog.cache_status, func.count())  # type: ignore[call-overload]
        .where(RequestLog.org_id == org_id, col(RequestLog.created_at) >= since)
        .group_by(RequestLog.cache_status)
    )
    return {str(getattr(s, "value", s)): int(n) for s, n in session.execute(statement)}


def _form(org: Organization) -> CacheSettingsForm:
    return CacheSettingsForm(
        org.cache_enabled, org.cache_threshold, org.cache_ttl_s, org.cache_max_temperature
    )


def _within(name: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"the {name} must be between {low:g} and {high:g}")


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\{}" else c for c in text)
