"""What a job runs with: settings, a database engine, Redis and a clock, built per job.

Jobs take ids and plain values; everything else they build here from the settings (the
environment the worker process was started with), and release when they finish. Job
logic takes a `JobContext`, so tests hand it their own database, Redis and clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from rq import get_current_job
from sqlalchemy import Engine

from gateway.db.engine import make_engine
from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings, load_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    engine: Engine
    redis: redis.Redis
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()


@contextmanager
def job_context() -> Iterator[JobContext]:
    """The running job's context: the worker's Redis connection, a fresh engine."""
    settings = load_settings()
    job = get_current_job()
    keep_alive = None
    if job is not None:
        client = job.connection
    else:
        url, keep_alive = resolve_redis_url(settings)
        client = redis.Redis.from_url(url)
    engine = make_engine(settings.resolved_database_url)
    try:
        yield JobContext(settings, engine, client)
    finally:
        engine.dispose()
        if job is None:
            client.close()
        del keep_alive
