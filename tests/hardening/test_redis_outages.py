"""The worker processes through Redis outages: each starts while Redis is still down,
reconnects when it is back, and the ingest consumer creates its group again when Redis
lost its data. None of them exits; nothing that reached the stream is lost.

Redis is a private `redis-server`, stopped, started again with its data, or flushed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import Engine
from starlette.applications import Starlette

from gateway.settings import Settings
from tests.fixtures.processes import wait_for
from tests.gateway.conftest import Tenant
from tests.gateway.processes import settings_env
from tests.hardening.services import PrivateRedis
from tests.hardening.traffic import logged_ids, send
from workers.queues import DEFAULT

ROOT = Path(__file__).resolve().parents[2]
Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def spawn(engine: Engine, redis_server: PrivateRedis, tmp_path: Path) -> Iterator[Spawn]:
    """spawn(kind, *args) → `python -m workers <kind> …` on the private Redis, its output in
    `<tmp_path>/<kind>.log`; killed after."""
    settings = Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REDIS_URL=redis_server.url,
        ROUTERAI_ENV="test",
    )
    started: list[subprocess.Popen[bytes]] = []

    def run(*args: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{args[0]}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "workers", *args],
                cwd=ROOT,
                env=settings_env(settings),
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def said(tmp_path: Path, kind: str, words: str) -> bool:
    """Whether `python -m workers <kind>` has logged `words` so far."""
    return words in (tmp_path / f"{kind}.log").read_text(errors="replace")


def serve(url: str, tenant: Tenant, count: int) -> list[str]:
    with httpx.Client(base_url=url, timeout=60) as http:
        outcomes = [send(http, tenant, "chat") for _ in range(count)]
    assert all(outcome.ok for outcome in outcomes)
    return [outcome.request_id for outcome in outcomes]


def all_logged(engine: Engine, tenant: Tenant, served: list[str]) -> bool:
    return sorted(logged_ids(engine, tenant)) == sorted(served)


def test_ingestion_started_while_redis_is_down_catches_up_once_it_is_back(
    engine: Engine,
    redis_server: PrivateRedis,
    app_on_private_redis: tuple[Starlette, str],
    tenant: Tenant,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    _, url = app_on_private_redis
    redis_server.stop()
    ingest = spawn("ingest")
    wait_for(lambda: said(tmp_path, "ingest", "ingestion paused"))  # it found Redis down

    redis_server.start()
    served = serve(url, tenant, 5)

    wait_for(lambda: all_logged(engine, tenant, served))
    assert ingest.poll() is None


def test_ingestion_goes_on_through_a_restart_and_after_redis_lost_its_data(
    engine: Engine,
    redis_server: PrivateRedis,
    app_on_private_redis: tuple[Starlette, str],
    tenant: Tenant,
    spawn: Spawn,
) -> None:
    _, url = app_on_private_redis
    ingest = spawn("ingest")
    served = serve(url, tenant, 5)
    wait_for(lambda: all_logged(engine, tenant, served))

    redis_server.stop()
    redis_server.start()
    served += serve(url, tenant, 5)
    wait_for(lambda: all_logged(engine, tenant, served))

    redis.Redis.from_url(redis_server.url).flushall()  # the stream and its group are gone
    served += serve(url, tenant, 5)
    wait_for(lambda: all_logged(engine, tenant, served))
    assert ingest.poll() is None


def test_rq_workers_and_the_scheduler_start_while_redis_is_down_and_outlive_a_restart(
    redis_server: PrivateRedis, spawn: Spawn, tmp_path: Path
) -> None:
    redis_server.stop()
    jobs = spawn("jobs", DEFAULT)
    scheduler = spawn("scheduler")
    for kind in ("jobs", "scheduler"):  # each found Redis down
        wait_for(lambda kind=kind: said(tmp_path, kind, "lost Redis"))
    redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    queue = Queue(DEFAULT, connection=client)

    first = queue.enqueue("time.sleep", 0)
    wait_for(lambda: first.get_status(refresh=True) == JobStatus.FINISHED)
    during = queue.enqueue("time.sleep", 2)
    wait_for(lambda: during.get_status(refresh=True) == JobStatus.STARTED)
    redis_server.stop()
    redis_server.start()
    after = queue.enqueue("time.sleep", 0)

    wait_for(lambda: Job.fetch(after.id, connection=client).get_status() == JobStatus.FINISHED)
    assert during.get_status(refresh=True) == JobStatus.FINISHED
    assert jobs.poll() is None and scheduler.poll() is None
