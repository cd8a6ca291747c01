"""The periodic jobs, run by RQ's own cron scheduler (`rq.cron.CronScheduler`).

Intervals rather than cron strings: RQ reads cron strings in the server's local time, and
an interval job also runs at once when the scheduler starts, which suits jobs that catch
up on whatever is due. Every job here is idempotent, so a second scheduler (one per
`routerai worker`) only repeats work, never doubles it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from rq.cron import CronScheduler

from workers import billing_jobs, jobs
from workers.queues import DEFAULT, FAILURE_TTL_S, LOW


@dataclass(frozen=True, slots=True)
class Periodic:
    func: Callable[..., Any]
    queue: str
    every_s: int
    timeout_s: int


SCHEDULE: tuple[Periodic, ...] = (
    # The dashboard and budget alerts lag ingestion by at most this interval.
    Periodic(jobs.rollup_usage, DEFAULT, every_s=30, timeout_s=600),
    Periodic(jobs.sweep_budget_alerts, DEFAULT, every_s=300, timeout_s=120),
    # Budget resets happen at midnight UTC of each organization's reset day.
    Periodic(jobs.advance_budget_resets, DEFAULT, every_s=300, timeout_s=120),
    Periodic(jobs.purge_request_logs, LOW, every_s=3600, timeout_s=3600),
    Periodic(jobs.reconcile_rollups, LOW, every_s=6 * 3600, timeout_s=600),
    # Billing: hourly usage to Stripe's meters, past-due grace periods, reconciliation.
    Periodic(billing_jobs.report_meter_usage, DEFAULT, every_s=300, timeout_s=1800),
    Periodic(billing_jobs.enforce_grace_periods, DEFAULT, every_s=3600, timeout_s=300),
    Periodic(billing_jobs.reconcile_meter_usage, LOW, every_s=6 * 3600, timeout_s=3600),
)


def build_scheduler(
    connection: redis.Redis, schedule: tuple[Periodic, ...] = SCHEDULE
) -> CronScheduler:
    """A cron scheduler with the periodic jobs registered; `start()` runs it."""
    scheduler = CronScheduler(connection=connection)
    for periodic in schedule:
        scheduler.register(
            periodic.func,
            queue_name=periodic.queue,
            interval=periodic.every_s,
            job_timeout=periodic.timeout_s,
            # A job still waiting when its next run is due is dropped, not stacked up.
            ttl=periodic.every_s,
            failure_ttl=FAILURE_TTL_S,
        )
    return scheduler
