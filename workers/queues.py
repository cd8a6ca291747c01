"""The RQ queues, by urgency, and the retry policies of what runs on them.

- HIGH: short jobs someone is waiting for (webhook deliveries).
- DEFAULT: frequent jobs of seconds (roll-ups, alert checks, budget resets).
- BENCHMARKS: benchmarks members start from the dashboard (a minute or so each).
- LOW: long maintenance (retention, reconciliation).

One worker takes HIGH then DEFAULT, another HIGH, BENCHMARKS then LOW, so a long LOW job or a
benchmark never delays a roll-up, a delivery waits for neither, and a benchmark someone is
watching goes ahead of maintenance nobody is. Ingestion is not a queue at all: it has a
consumer process of its own (`workers.runner.run_ingest`).

Enqueued jobs retry with back-off (`Retry`); failed jobs stay in RQ's failed job registry
for `FAILURE_TTL_S` for inspection (`rq info`, `FailedJobRegistry`). Periodic jobs are not
retried: the next run, seconds or minutes later, is their retry.
"""

from __future__ import annotations

import asyncio
import uuid

import redis
from rq import Callback, Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings

HIGH = "routerai-high"
DEFAULT = "routerai-default"
LOW = "routerai-low"
BENCHMARKS = "routerai-benchmarks"
ALL = (HIGH, DEFAULT, BENCHMARKS, LOW)

FAST_WORKER = (HIGH, DEFAULT)
SLOW_WORKER = (HIGH, BENCHMARKS, LOW)

FAILURE_TTL_S = 30 * 86_400
RESULT_TTL_S = 86_400
DELIVERY_RETRY = Retry(max=8, interval=[10, 30, 60, 300, 900, 1800, 3600, 3600])
"""Webhook back-off: about 2h45 of attempts in all before the job is left failed."""
BENCHMARK_TIMEOUT_S = 30 * 60

_IN_FLIGHT = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def enqueue_alert_delivery(connection: redis.Redis, *, alert_id: int, org_id: uuid.UUID) -> bool:
    """Queue one alert's webhook delivery unless one is already under way; True if queued."""
    from workers import jobs

    job_id = f"budget-alert-{alert_id}"
    try:
        if Job.fetch(job_id, connection=connection).get_status() in _IN_FLIGHT:
            return False
    except NoSuchJobError:
        pass
    Queue(HIGH, connection=connection).enqueue(
        jobs.deliver_budget_alert,
        args=(alert_id, str(org_id)),
        job_id=job_id,
        retry=DELIVERY_RETRY,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
    )
    return True


def enqueue_benchmark(connection: redis.Redis, *, run_id: uuid.UUID, org_id: uuid.UUID) -> None:
    """Queue a stored benchmark run. Not retried: a crash leaves the run failed with its reason
    (the job's own handler, or `on_failure` when the work horse itself died)."""
    from workers import jobs

    Queue(BENCHMARKS, connection=connection).enqueue(
        jobs.run_benchmark,
        args=(str(run_id), str(org_id)),
        job_id=f"benchmark-{run_id}",
        job_timeout=BENCHMARK_TIMEOUT_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        on_failure=Callback(jobs.benchmark_failed),
    )


class BenchmarkQueue:
    """The web app's `Enqueue` for `gateway.dashboard.benchmarks.BenchmarkService`: queues
    each run's job on `BENCHMARKS` (RQ's client is synchronous: off the event loop)."""

    def __init__(self, settings: Settings) -> None:
        url, self._keep_alive = resolve_redis_url(settings)
        self._client = redis.Redis.from_url(url)

    async def __call__(self, run_id: uuid.UUID, org_id: uuid.UUID) -> None:
        await asyncio.to_thread(enqueue_benchmark, self._client, run_id=run_id, org_id=org_id)
