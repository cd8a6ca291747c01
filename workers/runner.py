"""The worker processes, one kind each: the ingest consumer, RQ job workers, the scheduler.

`routerai worker` starts one of each (see `routerai.processes`); each can also run alone,
`python -m workers <kind>`, to scale a kind out on its own.

**Decision: ingestion is a consumer process of its own, not an RQ job.** It is a loop
blocked on XREADGROUP that holds its database connection and never waits for anything
but the stream; an RQ job that drains in bursts and re-enqueues itself would pay a fork
and a new connection per burst, sit behind whatever job is ahead of it in its queue, and
stop for good the first time a re-enqueue is lost. The consumer group already gives what
RQ would: redelivery of a dead worker's records, any number of consumers side by side.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from types import FrameType

import redis
from rq import Queue, Worker
from sqlalchemy.exc import DBAPIError

from gateway.db.engine import make_engine
from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings
from workers import jobs
from workers.ingest import IngestConfig, ensure_group, ingest_once
from workers.queues import ALL, DEFAULT
from workers.schedule import build_scheduler

log = logging.getLogger("routerai.worker")

MAX_BACKOFF_S = 30.0


class _Stop:
    """SIGTERM/SIGINT ask the loop to stop after the batch in hand."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.event.set()

    def install(self) -> _Stop:
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)
        return self


def run_ingest(
    settings: Settings, *, config: IngestConfig = IngestConfig(), burst: bool = False
) -> None:
    """Ingest until SIGTERM/SIGINT (or, with `burst`, until the stream is drained).

    A database or Redis outage does not end the loop, nor does starting while Redis is
    still down: it waits (backing off up to MAX_BACKOFF_S) and goes on; what it had read
    stays pending and is claimed again. A consumer group that vanished (Redis lost its
    data) is created again.
    """
    url, keep_alive = resolve_redis_url(settings)
    client = redis.Redis.from_url(url)
    engine = make_engine(settings.resolved_database_url)
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    stop = _Stop().install()
    backoff = 0.0
    grouped = False
    try:
        while not stop.event.is_set():
            try:
                if not grouped:
                    ensure_group(client, config)
                    grouped = True
                written = ingest_once(client, engine, consumer, config, block=not burst)
            except redis.ResponseError as exc:
                # NOGROUP: the group is gone; UNBLOCKED: the stream went while we waited on it.
                if not str(exc).startswith(("NOGROUP", "UNBLOCKED")):
                    raise
                log.warning("the usage stream's consumer group is gone; creating it again")
                grouped = False
                continue
            except (DBAPIError, redis.ConnectionError, redis.TimeoutError) as exc:
                backoff = _next_backoff(backoff)
                log.warning("ingestion paused %.1fs: %s", backoff, exc)
                stop.event.wait(backoff)
                continue
            backoff = 0.0
            if burst and written == 0:
                break
        with contextlib.suppress(redis.RedisError):
            _leave_group(client, config, consumer)
    finally:
        client.close()
        engine.dispose()
        del keep_alive


def run_jobs(
    settings: Settings,
    *,
    queues: Sequence[str] = ALL,
    burst: bool = False,
    with_scheduler: bool = True,
) -> None:
    """An RQ worker on `queues`, in order of priority.

    `with_scheduler`: also move due scheduled jobs (retries waiting out their back-off) to
    their queues; RQ keeps one such scheduler active per queue, whatever the worker count.
    """
    url, keep_alive = resolve_redis_url(settings)
    client = redis.Redis.from_url(url)

    def work() -> None:
        worker = Worker([Queue(name, connection=client) for name in queues], connection=client)
        worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")

    try:
        _reconnecting("the RQ worker", work)
    finally:
        client.close()
        del keep_alive


def run_scheduler(settings: Settings) -> None:
    """RQ's cron scheduler with the periodic jobs (`workers.schedule`), until SIGTERM/SIGINT."""
    url, keep_alive = resolve_redis_url(settings)
    client = redis.Redis.from_url(url)
    try:
        _reconnecting("the scheduler", lambda: build_scheduler(client).start())
    finally:
        client.close()
        del keep_alive


def _reconnecting(what: str, run: Callable[[], None]) -> None:
    """Run `run` (RQ's own loop) again whenever it ends on losing Redis, backing off up to
    MAX_BACKOFF_S: a Redis restart, or starting while Redis is still down, costs a pause and
    one log line, never the process. RQ installs its own SIGTERM/SIGINT handlers while it
    runs (a stop then ends `run` normally); between two runs a stop ends the wait."""
    backoff = 0.0
    while True:
        try:
            run()
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            backoff = _next_backoff(backoff)
            log.warning("%s lost Redis (%s); starting it again in %.1fs", what, exc, backoff)
        if _Stop().install().event.wait(backoff):
            return


def _next_backoff(previous: float) -> float:
    return min(MAX_BACKOFF_S, max(0.5, previous * 2))


def run_burst(settings: Settings, *, config: IngestConfig = IngestConfig()) -> None:
    """Drain the usage stream, roll it up, run every queued job, and return."""
    run_ingest(settings, config=config, burst=True)
    url, keep_alive = resolve_redis_url(settings)
    client = redis.Redis.from_url(url)
    try:
        Queue(DEFAULT, connection=client).enqueue(jobs.rollup_usage)
    finally:
        client.close()
    run_jobs(settings, queues=ALL, burst=True, with_scheduler=False)
    del keep_alive


def _leave_group(client: redis.Redis, config: IngestConfig, consumer: str) -> None:
    """Forget this consumer on a clean exit, unless it still holds records (others claim them)."""
    pending: list[dict[str, object]] = client.xpending_range(  # type: ignore[assignment]
        config.stream, config.group, min="-", max="+", count=1, consumername=consumer
    )
    if not pending:
        client.xgroup_delconsumer(config.stream, config.group, consumer)
