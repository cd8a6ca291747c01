"""The gateway's own dependencies failing under traffic: Redis restarted, PostgreSQL cut off,
an ingestion worker killed with SIGKILL. What each stage does meanwhile is stated in
RELIABILITY.md; these tests hold it.

Redis here is a private `redis-server` (never the shared one), stopped and started again
with its data; PostgreSQL is the shared server seen through a TCP proxy that is cut and
restored, so only the processes behind the proxy lose it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine, make_url
from starlette.applications import Starlette

from gateway.api.app import create_app
from gateway.pipelined_redis import ReplyLost
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from gateway.usage import USAGE_STREAM
from tests.fixtures.processes import wait_for
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant
from tests.gateway.processes import settings_env
from tests.hardening.ledger import Ledger
from tests.hardening.services import PrivateRedis, TcpProxy
from tests.hardening.traffic import KINDS, Outcome, logged_ids, send

ROOT = Path(__file__).resolve().parents[2]


def records_in(url: str) -> list[str]:
    """Request ids of the usage records in the stream at `url`."""
    client = redis.Redis.from_url(url)
    try:
        entries: Any = client.xrange(USAGE_STREAM)
    finally:
        client.close()
    return [fields[b"request_id"].decode() for _, fields in entries]


def during_outage(url: str, tenant: Tenant) -> list[Outcome]:
    """One request of each kind, at once, each on a connection of its own (after an
    unhandled error uvicorn drops the connection, so none is reused afterwards)."""

    def one(kind: str) -> Outcome:
        with httpx.Client(base_url=url, timeout=60) as http:
            return send(http, tenant, kind)

    with ThreadPoolExecutor(len(KINDS)) as pool:
        return list(pool.map(one, KINDS))


def upstream_calls(sandbox: SandboxControl) -> int:
    endpoints = sandbox.stats()["endpoints"]
    return sum(n for per in endpoints.values() for name, n in per.items() if name != "tags")


def test_while_redis_is_down_nothing_is_served_unaccounted_and_the_gateway_recovers_by_itself(
    app_on_private_redis: tuple[Starlette, str],
    redis_server: PrivateRedis,
    tenant: Tenant,
    sandbox: SandboxControl,
    ledger: Ledger,
) -> None:
    _, url = app_on_private_redis
    with httpx.Client(base_url=url, timeout=60) as http:
        before = [send(http, tenant, kind) for kind in KINDS for _ in range(2)]
        assert all(o.ok for o in before)
        calls = upstream_calls(sandbox)

        redis_server.stop()
        down = during_outage(url, tenant)
        # Fail closed: rate limits and budgets live in Redis, so nothing is admitted, nothing
        # reaches a provider, and each refusal is OpenAI's error JSON (the SDKs retry 5xx).
        # Listing models costs nothing: it answers while the key's context is still in the
        # process's one-second tenant cache, then is refused like the rest.
        for outcome in down:
            refused = outcome.status >= 500 and outcome.openai_error()
            listed = outcome.kind == "models" and outcome.status == 200
            assert ledger.check("faults", held=refused or listed), outcome
        assert upstream_calls(sandbox) == calls

    redis_server.start()  # same port, same data: the gateway was not restarted
    with httpx.Client(base_url=url, timeout=60) as http:
        first_after = wait_for(lambda: (o := send(http, tenant, "chat")).ok and o, timeout_s=60)
        after = [first_after, *(send(http, tenant, kind) for kind in KINDS for _ in range(2))]
    assert all(o.ok for o in after)
    served = [o.request_id for o in before + after if o.kind != "models"]
    # Every request served before the restart kept its record (Redis' append-only file),
    # every one after has one, and the refused ones left none.
    assert sorted(records_in(redis_server.url)) == sorted(served)


def test_while_redis_is_down_requests_are_refused_with_a_retryable_503(
    app_on_private_redis: tuple[Starlette, str], redis_server: PrivateRedis, tenant: Tenant
) -> None:
    _, url = app_on_private_redis
    with httpx.Client(base_url=url, timeout=60) as http:
        assert send(http, tenant, "chat").ok
        redis_server.stop()
        outcome = send(http, tenant, "chat")
    assert outcome.status == 503 and "internal_error" not in outcome.body


def test_a_request_in_flight_when_redis_goes_down_is_answered_and_recorded(
    app_on_private_redis: tuple[Starlette, str],
    redis_server: PrivateRedis,
    tenant: Tenant,
    sandbox: SandboxControl,
) -> None:
    app, url = app_on_private_redis
    pipeline = app.state.gateway.pipeline
    outcomes: list[Outcome] = []
    with httpx.Client(base_url=url, timeout=60) as http:
        assert send(http, tenant, "chat").ok
        sandbox.arm_fault("openai", "latency=1500", count=1)
        answering = threading.Thread(target=lambda: outcomes.append(send(http, tenant, "stream")))
        answering.start()
        # Admitted and now upstream: the sandbox has seen it (after the first request).
        wait_for(lambda: len(sandbox.recent("openai")) >= 2, timeout_s=30)
        redis_server.stop()
        answering.join(timeout=60)
        # Redis comes back within the gateway's settle retries (about 16 s; past them the
        # record is logged as lost, see RELIABILITY.md); then its background work ends.
        redis_server.start()
        wait_for(lambda: not pipeline._background, timeout_s=60)
    [answered] = outcomes
    assert answered.ok  # the client got its whole answer…
    assert answered.request_id in records_in(redis_server.url)  # …and it was recorded


class SettleRepliesLost:
    """The gateway's admission store, except that each settle's reply is lost after the
    settle ran, as when Redis drops the connection between running it and replying."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.settles = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def settle(self, *args: Any) -> None:
        self.settles += 1
        await self.store.settle(*args)
        raise ReplyLost("Redis closed the connection before replying")


def test_a_settle_whose_reply_was_lost_is_not_sent_again(
    app_on_private_redis: tuple[Starlette, str],
    redis_server: PrivateRedis,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, url = app_on_private_redis
    with httpx.Client(base_url=url, timeout=60) as http:
        assert send(http, tenant, "chat").ok
        ledger = app.state.gateway.pipeline.ledger
        ledger.admission = lossy = SettleRepliesLost(ledger.admission)
        answered = send(http, tenant, "chat")
        wait_for(lambda: "may be lost" in caplog.text, timeout_s=10)
    assert answered.ok
    # Sending it again could have counted the request twice: the one settle stands.
    assert lossy.settles == 1
    assert records_in(redis_server.url).count(answered.request_id) == 1


@pytest.fixture
def pg_proxy(engine: Engine) -> Iterator[TcpProxy]:
    url = engine.url
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def proxied_database_url(engine: Engine, pg_proxy: TcpProxy) -> str:
    url = make_url(engine.url.render_as_string(hide_password=False))
    return url.set(host="127.0.0.1", port=pg_proxy.port).render_as_string(hide_password=False)


@pytest.fixture
def spawn(redis_url: str) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """spawn(database_url, *args) → `python -m workers ingest …`; killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(database_url: str, *args: str) -> subprocess.Popen[bytes]:
        settings = Settings(DATABASE_URL=database_url, REDIS_URL=redis_url, ROUTERAI_ENV="test")
        process = subprocess.Popen(
            [sys.executable, "-m", "workers", "ingest", *args],
            cwd=ROOT,
            env=settings_env(settings),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_with_postgresql_cut_off_the_gateway_serves_from_redis_and_ingestion_catches_up(
    engine: Engine,
    settings_for: Callable[..., Settings],
    proxied_database_url: str,
    pg_proxy: TcpProxy,
    make_tenant: Callable[..., Tenant],
    redis_client: redis.Redis,
    spawn: Callable[..., subprocess.Popen[bytes]],
    ledger: Ledger,
) -> None:
    known, unseen = make_tenant("Known"), make_tenant("Unseen")
    settings = settings_for(DATABASE_URL=proxied_database_url)
    spawn(proxied_database_url, "--claim-idle-ms", "1000")
    with (
        serve_in_thread(create_app(settings)) as url,
        httpx.Client(base_url=url, timeout=60) as http,
    ):
        first = [send(http, known, "chat") for _ in range(10)]
        wait_for(lambda: len(logged_ids(engine, known)) == 10)
        wait_for(lambda: redis_client.xlen(USAGE_STREAM) == 0)  # acknowledged and trimmed

        pg_proxy.cut()
        during = [send(http, known, kind) for kind in ("chat", "stream", "embeddings") * 7]
        # A key whose context is not cached cannot be checked: refused, OpenAI-shaped. (On a
        # connection of its own: after an unhandled error uvicorn drops the connection.)
        with httpx.Client(base_url=url, timeout=60) as other:
            refused = send(other, unseen, "chat")
        assert ledger.check("faults", held=refused.status >= 500 and refused.openai_error())
        assert len(logged_ids(engine, known)) == 10  # nothing could be written meanwhile…
        assert redis_client.xlen(USAGE_STREAM) == len(during)  # …and the stream holds it all
        pg_proxy.restore()

        after = [send(http, known, "chat") for _ in range(5)]
    served = [o.request_id or "" for o in first + during + after]
    assert all(o.ok for o in first + during + after)
    ledger.add("faults", served_during_database_outage=len(during))
    wait_for(lambda: len(logged_ids(engine, known)) == len(served), timeout_s=90)
    rows = logged_ids(engine, known)
    assert sorted(rows) == sorted(served)  # every request once: none lost, none twice
    assert logged_ids(engine, unseen) == []


def test_ingestion_workers_killed_with_sigkill_under_load_lose_and_duplicate_nothing(
    engine: Engine,
    gateway_url: str,
    make_tenant: Callable[..., Tenant],
    spawn: Callable[..., subprocess.Popen[bytes]],
    ledger: Ledger,
) -> None:
    tenant = make_tenant("Busy", rpm_limit=1_000_000, tpm_limit=2_000_000_000)
    database_url = engine.url.render_as_string(hide_password=False)
    served: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=gateway_url, timeout=30) as http:
            while not stop.is_set() and len(served) < 5000:  # bounded, whatever happens
                served.append(send(http, tenant, "chat").request_id or "")

    traffic = threading.Thread(target=load)
    traffic.start()
    try:
        for _ in range(3):  # a consumer mid-work, killed outright, three times over
            worker = spawn(database_url, "--batch-size", "20", "--claim-idle-ms", "300")
            before = len(logged_ids(engine, tenant))
            wait_for(partial(_more_than, engine, tenant, before))  # it is at work
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            ledger.add("faults", workers_killed=1)
    finally:
        stop.set()
        traffic.join(timeout=60)
    last = spawn(database_url, "--burst", "--claim-idle-ms", "300")
    assert last.wait(timeout=90) == 0
    rows = logged_ids(engine, tenant)
    assert sorted(rows) == sorted(served)


def _more_than(engine: Engine, tenant: Tenant, count: int) -> bool:
    return len(logged_ids(engine, tenant)) > count
