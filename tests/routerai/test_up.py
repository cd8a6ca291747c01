"""`routerai up` on its embedded defaults, as a newcomer runs it, under faults: the ingest
consumer killed, then the worker's supervisor itself. The gateway answers throughout,
`/health` says "degraded" rather than nothing, and every request served becomes a row.

The web app builds in a directory of the test's own (REFLEX_WEB_WORKDIR), so this test
never touches the checkout's `.web`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from gateway.db.engine import make_engine
from gateway.db.sessions import tenant_session
from routerai.admin import find_org
from tests.fixtures.processes import alive, child_running, descendants, wait_for
from tests.fixtures.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(rb"gw_demo_dev_[A-Za-z0-9]+")
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    url: str
    key: str
    database_url: str


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    database_url = f"sqlite:///{tmp_path / 'routerai.db'}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ROUTERAI_", "REDIS_URL", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=database_url,
        ROUTERAI_DATA_DIR=str(tmp_path / "data"),
        REFLEX_WEB_WORKDIR=str(tmp_path / "web"),
        REFLEX_STATES_WORKDIR=str(tmp_path / "states"),
        GRANIAN_WORKERS="1",
    )
    port = free_port()
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "routerai", "up", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        key = wait_for(lambda: (found := KEY.search(log.read_bytes())) and found, 900)
        yield Up(process, f"http://127.0.0.1:{port}", key.group().decode(), database_url)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass
class Traffic:
    """Chats and `/health` calls, one after another, until stopped."""

    url: str
    key: str
    served: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    health: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                try:
                    chat = http.post("/v1/chat/completions", json=CHAT, headers=headers)
                    if chat.status_code == 200:
                        self.served.append(chat.headers["x-request-id"])
                    else:
                        self.failed.append(f"chat {chat.status_code}")
                    self.health.append(http.get("/health").json()["status"])
                except httpx.HTTPError as exc:
                    self.failed.append(repr(exc))
                time.sleep(0.05)


def rows(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        org = find_org(engine, "demo")
        with tenant_session(engine, org.id) as session:
            return int(session.execute(text("SELECT count(*) FROM request_logs")).scalar_one())
    finally:
        engine.dispose()


def test_killing_the_ingest_consumer_and_the_worker_leaves_the_gateway_serving_and_loses_nothing(
    up: Up,
) -> None:
    traffic = Traffic(up.url, up.key)
    thread = threading.Thread(target=traffic.run)
    thread.start()
    try:
        worker = wait_for(lambda: child_running(up.process.pid, "routerai", "worker"))
        ingest = wait_for(lambda: child_running(worker, "workers", "ingest"))
        wait_for(lambda: len(traffic.served) >= 10)

        os.kill(ingest, signal.SIGKILL)
        wait_for(lambda: child_running(worker, "workers", "ingest") not in (None, ingest))
        os.kill(worker, signal.SIGKILL)
        again = wait_for(
            lambda: (pid := child_running(up.process.pid, "routerai", "worker")) != worker and pid
        )
        wait_for(lambda: child_running(again, "workers", "ingest"))
        served_at_restart = len(traffic.served)
        wait_for(lambda: len(traffic.served) >= served_at_restart + 10)
    finally:
        traffic.stop.set()
        thread.join()

    assert traffic.failed == []  # every chat and every /health answered
    assert set(traffic.health) <= {"ok", "degraded"}
    wait_for(lambda: rows(up.database_url) == len(traffic.served), 120)
    assert up.process.poll() is None
    # /metrics counts both restarts (the worker's count starts over with its new supervisor)
    metrics = wait_for(lambda: restarts(up.url, "worker") >= 1 and httpx.get(f"{up.url}/metrics"))
    assert 'routerai_process_up{host="' in metrics.text

    everything = descendants(up.process.pid)
    os.killpg(up.process.pid, signal.SIGINT)  # Ctrl-C reaches `up`'s own process group
    assert up.process.wait(timeout=10) == 0
    assert [pid for pid in everything if alive(pid)] == []


def restarts(url: str, process: str) -> int:
    """`routerai_process_restarts_total` of `process`, as `/metrics` reports it."""
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("routerai_process_restarts_total{") and f'process="{process}"' in line:
            return int(line.rsplit(" ", 1)[1])
    return 0
