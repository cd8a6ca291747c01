"""The RQ queues, by urgency, and the retry policies of what runs on them.

- HIGH: short jobs someone is waiting for (webhook deliveries).
- DEFAULT: frequent jobs of seconds (roll-ups, alert checks, budget resets).
- LOW: long maintenance (retention, reconciliation).

One worker takes HIGH then DEFAULT, another HIGH then LOW, so a long LOW job never delays
a roll-up and a delivery waits for neither. Ingestion is not a queue at all: it has a
consumer process of its own (`workers.runner.run_ingest`).

Enqueued jobs retry with back-off (`Retry`); failed jobs stay in RQ's failed job registry
for `FAILURE_TTL_S` for inspection (`rq info`, `FailedJobRegistry`). Periodic jobs are not
retried: the next run, seconds or minutes later, is their retry.
"""

from __future__ import annotations

import uuid

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

HIGH = "routerai-high"
DEFAULT = "routerai-default"
LOW = "routerai-low"
ALL = (HIGH, DEFAULT, LOW)

FAST_WORKER = (HIGH, DEFAULT)
SLOW_WORKER = (HIGH, LOW)

FAILURE_TTL_S = 30 * 86_400
RESULT_TTL_S = 86_400
DELIVERY_RETRY = Retry(max=8, interval=[10, 30, 60, 300, 900, 1800, 3600, 3600])
"""Webhook back-off: about 2h45 of attempts in all before the job is left failed."""

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
