"""RQ jobs for billing: meter reporting, reconciliation and past-due grace periods.

Jobs take plain values, build their context (`workers.context.job_context`) and hand
it to a `*_with` function holding the logic, which tests call with a context of their
own. Every job is idempotent: running one twice, or two at once, never bills twice
(see gateway.billing.metering) and never changes a plan twice.

    report_meter_usage      every 5 min: closed hours → outbox → Stripe meter events
    enforce_grace_periods   hourly: past-due organizations beyond the grace period → Free
    reconcile_meter_usage   every 6 h: the last UTC day that ended two hours ago, against
                            Stripe's meter summaries (re-running a day refreshes its alerts)
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gateway.billing.accounts import enforce_grace_periods as demote_past_due
from gateway.billing.accounts import forget_tenants
from gateway.billing.client import stripe_client
from gateway.billing.metering import record_usage, send_reports
from gateway.billing.reconciliation import AlertStore, reconcile
from workers.context import JobContext, job_context

RECONCILE_AFTER = timedelta(hours=2)
"""A day is reconciled once it ended this long ago (its last hour is reported by then)."""

NOT_CONFIGURED = {"skipped": "billing is not configured (no STRIPE_SECRET_KEY)"}
"""What the Stripe jobs return on a deployment without billing (self-hosted, sandbox)."""


def report_meter_usage() -> dict[str, Any]:
    """Record every closed hour in the outbox, then send what is pending to Stripe."""
    with job_context() as ctx:
        return report_meter_usage_with(ctx)


def report_meter_usage_with(ctx: JobContext) -> dict[str, Any]:
    if ctx.settings.stripe_secret_key is None:
        return NOT_CONFIGURED
    now = ctx.now()
    recorded = record_usage(ctx.engine, now=now)
    summary = send_reports(ctx.engine, stripe_client(ctx.settings), now=now)
    return {"recorded": recorded, **asdict(summary)}


def reconcile_meter_usage(day: str | None = None) -> dict[str, Any]:
    """Reconcile one UTC day, YYYY-MM-DD (default: the last that ended two hours ago)."""
    with job_context() as ctx:
        return reconcile_meter_usage_with(ctx, day)


def reconcile_meter_usage_with(ctx: JobContext, day: str | None = None) -> dict[str, Any]:
    if ctx.settings.stripe_secret_key is None:
        return NOT_CONFIGURED
    first = date.fromisoformat(day) if day else (ctx.now() - RECONCILE_AFTER).date() - timedelta(1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    client = stripe_client(ctx.settings)
    result = reconcile(ctx.engine, client, start=start, end=start + timedelta(days=1))
    AlertStore(ctx.redis).record(result)
    return {
        "day": first.isoformat(),
        "checked": len(result.checked),
        "discrepancies": [d.message for d in result.discrepancies],
    }


def enforce_grace_periods() -> int:
    """Free limits for organizations past due beyond the grace period; returns keys forgotten."""
    with job_context() as ctx:
        return enforce_grace_periods_with(ctx)


def enforce_grace_periods_with(ctx: JobContext) -> int:
    hashes = demote_past_due(ctx.engine, ctx.now())
    forget_tenants(ctx.redis, hashes)
    return len(hashes)
