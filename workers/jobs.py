"""The jobs RQ runs. Each takes ids and plain values, and calls gateway services.

Every job is idempotent, so a job run twice (a retry, two schedulers, a worker that died
after the work but before reporting it) changes nothing the first run did not. The
functions RQ calls build their context (`job_context`) and hand it to a `*_with` function
holding the logic, which tests call with a context of their own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import httpx
import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.analytics import resets, webhooks
from gateway.analytics.alerts import raise_budget_alerts
from gateway.analytics.dirty import mark_dirty
from gateway.analytics.retention import purge_expired_logs
from gateway.analytics.rollup import pairs_for, rollup_dirty
from gateway.budget.redis_store import RedisAdmissionStore
from gateway.budget.seeding import SeedingAdmission, SpendSeeder
from gateway.credentials.crypto import SecretBox
from gateway.credentials.vault import CredentialVault
from gateway.dashboard.benchmark_runner import BenchmarkRunner, one_call_limits
from gateway.dashboard.benchmarks import RunView, mark_failed
from gateway.db.engine import make_engine
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.embedded_redis import resolve_redis_url
from gateway.execution import Executor
from gateway.pipelined_redis import PipelinedRedis
from gateway.providers.credentials import PlatformCredentials
from gateway.providers.setup import build_registry
from gateway.providers.transport import Transport
from gateway.security.http import guarded_client
from gateway.settings import Settings, load_settings
from workers.context import JobContext, job_context
from workers.queues import enqueue_alert_delivery

ROLLUP_LOCK = "gw:rollup:lock"
ROLLUP_LOCK_TTL_S = 600
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_WITHIN = timedelta(days=1)


def rollup_usage() -> dict[str, Any]:
    """Roll up what ingestion marked since the last run, then raise budget alerts."""
    with job_context() as ctx:
        return rollup_usage_with(ctx)


def rollup_usage_with(ctx: JobContext) -> dict[str, Any]:
    # One roll-up at a time: two overlapping runs could each write totals read at
    # different moments, the older last.
    lock = ctx.redis.lock(ROLLUP_LOCK, timeout=ROLLUP_LOCK_TTL_S, blocking=False)
    if not lock.acquire():
        return {"skipped": "another roll-up is running"}
    try:
        now = ctx.now()
        result = rollup_dirty(ctx.engine, ctx.redis, now=now)
        alerts = raise_budget_alerts(ctx.engine, ctx.redis, org_ids=result.org_ids, now=now)
    finally:
        lock.release()
    queued = _queue_deliveries(ctx, [(alert.id, alert.org_id) for alert in alerts])
    return {"pairs": result.pairs, "rows": result.rows, "alerts": len(alerts), "queued": queued}


def deliver_budget_alert(alert_id: int, org_id: str) -> str:
    """POST one budget alert to its organization's webhook (RQ retries it with back-off)."""
    with job_context() as ctx:
        return deliver_budget_alert_with(ctx, alert_id, org_id)


def deliver_budget_alert_with(
    ctx: JobContext, alert_id: int, org_id: str, http: httpx.Client | None = None
) -> str:
    allow_private = ctx.settings.allow_private_webhooks
    sender = guarded_client(allow_private=allow_private) if http is None else nullcontext(http)
    with sender as client:
        outcome = webhooks.deliver_budget_alert(
            ctx.engine,
            client,
            alert_id=alert_id,
            org_id=uuid.UUID(org_id),
            secret_key=ctx.settings.secret_key.get_secret_value(),
            now=ctx.now(),
            allow_private=allow_private,
        )
    return outcome.value


def sweep_budget_alerts() -> int:
    """Queue deliveries of alerts that were raised but never attempted."""
    with job_context() as ctx:
        return sweep_budget_alerts_with(ctx)


def sweep_budget_alerts_with(ctx: JobContext) -> int:
    now = ctx.now()
    found = webhooks.undelivered_alerts(
        ctx.engine, created_after=now - SWEEP_WITHIN, created_before=now - SWEEP_AFTER
    )
    return _queue_deliveries(ctx, found)


def advance_budget_resets() -> int:
    """Advance every passed `budget_reset_at` (the counters reset by their period key)."""
    with job_context() as ctx:
        return len(resets.advance_budget_resets(ctx.engine, now=ctx.now()))


def purge_request_logs(batch_size: int = 5000, max_batches: int = 200) -> int:
    """Delete request_logs past each plan's retention, in bounded batches."""
    with job_context() as ctx:
        return purge_expired_logs(
            ctx.engine, now=ctx.now(), batch_size=batch_size, max_batches=max_batches
        )


def reconcile_rollups(days: int = 2) -> int:
    """Put every organization's last `days` days on the roll-up list (a safety net for a lost
    dirty list); the next roll-up recomputes them. Returns the pairs marked."""
    with job_context() as ctx:
        return reconcile_rollups_with(ctx, days)


def reconcile_rollups_with(ctx: JobContext, days: int) -> int:
    today = ctx.now().date()
    with system_session(ctx.engine) as session:
        org_ids = list(session.exec(select(Organization.id)))
    pairs = pairs_for(org_ids, (today - timedelta(days=n) for n in range(days)))
    for start in range(0, len(pairs), 5000):
        mark_dirty(ctx.redis, pairs[start : start + 5000])
    return len(pairs)


def run_benchmark(run_id: str, org_id: str) -> dict[str, Any]:
    """Run a stored benchmark (see `gateway.dashboard.benchmarks`); its row shows progress."""
    with job_context() as ctx:
        return run_benchmark_with(ctx, run_id, org_id)


def run_benchmark_with(ctx: JobContext, run_id: str, org_id: str) -> dict[str, Any]:
    run, org = uuid.UUID(run_id), uuid.UUID(org_id)
    try:
        result = asyncio.run(_benchmark(ctx.settings, ctx.engine, run, org))
    except BaseException as exc:  # a crash (timeout included) must not leave it "running"
        mark_failed(ctx.engine, run, org, f"the benchmark stopped: {_reason(exc)}")
        raise
    return {"status": result.status, "completed": result.completed, "total": result.total}


async def _benchmark(
    settings: Settings, engine: Engine, run_id: uuid.UUID, org_id: uuid.UUID
) -> RunView:
    transport = Transport(
        connect_timeout_s=settings.upstream_connect_timeout_s,
        read_timeout_s=settings.upstream_timeout_s,
        max_response_bytes=settings.max_upstream_response_bytes,
    )
    registry = build_registry(settings)
    executor = Executor(registry, transport, limits=one_call_limits(settings.attempt_timeout_s))
    url, _keep_alive = resolve_redis_url(settings)  # held while the job runs
    redis = aioredis.Redis.from_url(url)
    wire = PipelinedRedis.like(redis)
    store = RedisAdmissionStore(redis, wire=wire)
    runner = BenchmarkRunner(
        engine,
        executor,
        platform=PlatformCredentials.from_settings(settings, registry.names()),
        vault=CredentialVault(
            engine, SecretBox.from_secret_key(settings.secret_key.get_secret_value())
        ),
        admission=SeedingAdmission(store, SpendSeeder(engine, redis, store)),
        sandbox_mode=settings.sandbox_mode,
    )
    try:
        return await runner.run(run_id, org_id)
    finally:
        await transport.close()
        await wire.aclose()
        await redis.aclose()


def benchmark_failed(job: Any, connection: Any, exc_type: Any, value: Any, tb: Any) -> None:
    """RQ's failure callback for a benchmark job: the run is left failed with the reason
    (when the job could not even start; the job marks its own crashes itself)."""
    run_id, org_id = job.args
    engine = make_engine(load_settings().resolved_database_url)
    try:
        mark_failed(
            engine, uuid.UUID(run_id), uuid.UUID(org_id), f"the benchmark stopped: {_reason(value)}"
        )
    finally:
        engine.dispose()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _queue_deliveries(ctx: JobContext, alerts: Sequence[tuple[int | None, uuid.UUID]]) -> int:
    if not alerts:
        return 0
    with system_session(ctx.engine) as session:
        orgs = {org_id: session.get(Organization, org_id) for _, org_id in alerts}
    queued = 0
    for alert_id, org_id in alerts:
        org = orgs[org_id]
        if alert_id is not None and org is not None and webhooks.wants_delivery(org):
            queued += enqueue_alert_delivery(ctx.redis, alert_id=alert_id, org_id=org_id)
    return queued
