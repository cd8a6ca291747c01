"""Worker processes: a consumer killed with SIGKILL mid-batch, and `routerai worker` itself."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from socket import gethostname
from typing import Any

import httpx
import redis
from rq import Queue
from sqlalchemy import Engine, func, text
from sqlmodel import select

from gateway.db.models import RequestLog, UsageDaily
from gateway.db.sessions import tenant_session
from gateway.health.processes import PROCESSES_KEY, ProcessStatus
from gateway.usage import USAGE_STREAM
from tests.fixtures.processes import alive, child_running, children, wait_for
from tests.gateway.conftest import Tenant
from tests.workers.conftest import Spawn
from workers.ingest import GROUP
from workers.queues import DEFAULT

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


def serve(gateway_url: str, tenant: Tenant, count: int) -> list[str]:
    """`count` requests through the gateway; their request ids."""
    headers = {"Authorization": f"Bearer {tenant.key}"}
    with httpx.Client(base_url=gateway_url, headers=headers, timeout=30) as http:
        responses = [http.post("/v1/chat/completions", json=BODY) for _ in range(count)]
    assert {response.status_code for response in responses} == {200}
    return [response.headers["x-request-id"] for response in responses]


def logged(engine: Engine, tenant: Tenant) -> set[str]:
    with tenant_session(engine, tenant.org.id) as session:
        statement = select(RequestLog.request_id).where(RequestLog.org_id == tenant.org.id)
        return set(session.exec(statement))


@contextmanager
def writes_blocked(engine: Engine) -> Iterator[None]:
    """Hold a lock that makes every insert into request_logs wait, until the block ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE request_logs IN EXCLUSIVE MODE"))
            yield
        return
    conn = sqlite3.connect(str(engine.url.database), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # SQLite: one writer at a time
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def pending_of(client: redis.Redis) -> dict[str, int]:
    """Records each consumer holds (read, not yet acknowledged)."""
    try:
        consumers: Any = client.xinfo_consumers(USAGE_STREAM, GROUP)
    except redis.ResponseError:  # no consumer group yet
        return {}
    return {c["name"].decode(): c["pending"] for c in consumers if c["pending"]}


def test_a_consumer_killed_mid_batch_loses_and_duplicates_nothing(
    engine: Engine,
    redis_client: redis.Redis,
    gateway_url: str,
    tenant: Tenant,
    spawn: Spawn,
) -> None:
    served = serve(gateway_url, tenant, 150)
    wait_for(lambda: redis_client.xlen(USAGE_STREAM) == 150)

    with writes_blocked(engine):
        first = spawn("workers", "ingest", "--batch-size", "1000")
        # It has read the whole batch and waits to insert it: kill it right there.
        holding = wait_for(lambda: pending_of(redis_client))
        assert list(holding.values()) == [150]
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert logged(engine, tenant) == set()  # nothing was committed…

    second = spawn("workers", "ingest", "--burst", "--claim-idle-ms", "200")
    assert second.wait(timeout=60) == 0

    assert logged(engine, tenant) == set(served)  # …and now everything, once
    assert pending_of(redis_client) == {}
    assert redis_client.xlen(USAGE_STREAM) == 0


def test_routerai_worker_burst_ingests_and_rolls_up(
    engine: Engine, redis_client: redis.Redis, gateway_url: str, tenant: Tenant, spawn: Spawn
) -> None:
    served = serve(gateway_url, tenant, 12)
    wait_for(lambda: redis_client.xlen(USAGE_STREAM) == 12)

    assert spawn("routerai", "worker", "--burst").wait(timeout=90) == 0

    assert logged(engine, tenant) == set(served)
    with tenant_session(engine, tenant.org.id) as session:
        statement = select(func.sum(UsageDaily.requests)).where(UsageDaily.org_id == tenant.org.id)
        assert session.exec(statement).one() == 12


def test_routerai_worker_runs_every_process_and_stops_cleanly(
    engine: Engine, redis_client: redis.Redis, gateway_url: str, tenant: Tenant, spawn: Spawn
) -> None:
    worker = spawn("routerai", "worker")
    served = serve(gateway_url, tenant, 5)
    wait_for(lambda: logged(engine, tenant) == set(served))
    # RQ's cron scheduler queued the periodic jobs at start, and the RQ workers ran them.
    queue = Queue(DEFAULT, connection=redis_client)
    wait_for(lambda: queue.finished_job_registry.count >= 3)
    assert queue.failed_job_registry.count == 0
    started = children(worker.pid)
    assert len(started) == 4

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert not [pid for pid in started if alive(pid)]


def test_routerai_worker_starts_a_killed_child_again_and_loses_no_usage(
    engine: Engine, redis_client: redis.Redis, gateway_url: str, tenant: Tenant, spawn: Spawn
) -> None:
    worker = spawn("routerai", "worker")
    served = serve(gateway_url, tenant, 5)
    wait_for(lambda: logged(engine, tenant) == set(served))
    ingest = child_running(worker.pid, "workers", "ingest")

    os.kill(ingest, signal.SIGKILL)
    served += serve(gateway_url, tenant, 5)  # while no consumer runs
    again = wait_for(
        lambda: (pid := child_running(worker.pid, "workers", "ingest")) != ingest and pid
    )

    wait_for(lambda: logged(engine, tenant) == set(served))
    assert worker.poll() is None and again != ingest
    assert len(children(worker.pid)) == 4
    status = ProcessStatus.decode(redis_client.hget(PROCESSES_KEY, f"{gethostname()}/ingest"))  # type: ignore[arg-type]
    assert (status.restarts, status.last_exit) == (1, -signal.SIGKILL)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
