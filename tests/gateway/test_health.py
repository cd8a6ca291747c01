"""`/health` and `/metrics` report the supervised processes, as the supervisors left them in
Redis: a process restarting, or whose supervisor went quiet, makes the gateway "degraded",
never absent. The gateway re-reads them every second, so the tests wait for that."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from gateway.api.app import create_app
from gateway.health.processes import FORGET_MS, PROCESSES_KEY, STALE_MS, ProcessStatus, State
from gateway.settings import Settings
from tests.fixtures.servers import serve_in_thread
from tests.hardening.services import private_redis


def now_ms() -> int:
    return int(time.time() * 1000)


def put(
    client: redis.Redis, name: str, state: State, *, restarts: int = 0, age_ms: int = 0
) -> None:
    status = ProcessStatus("box", name, state, restarts, now_ms() - age_ms)
    client.hset(PROCESSES_KEY, status.field, status.encode())


def health(gateway_url: str, until: Callable[[dict[str, Any]], bool] = lambda _: True) -> Any:
    """`/health`'s body, once `until` holds for it (within 5 s: it is re-read every second)."""
    deadline = time.monotonic() + 5
    while True:
        response = httpx.get(f"{gateway_url}/health", timeout=10)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        if until(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_with_every_process_running_the_gateway_is_ok(
    gateway_url: str, redis_client: redis.Redis
) -> None:
    put(redis_client, "ingest", "running", restarts=2)
    put(redis_client, "web", "running")

    body = health(gateway_url, until=lambda body: len(body["processes"]) == 2)

    assert body["status"] == "ok"
    assert body["processes"] == {
        "box/ingest": {"state": "running", "restarts": 2},
        "box/web": {"state": "running", "restarts": 0},
    }


def test_with_nothing_supervised_the_gateway_is_ok(gateway_url: str) -> None:
    body = health(gateway_url)

    assert (body["status"], body["processes"]) == ("ok", {})


@pytest.mark.parametrize(
    ("state", "age_ms", "shown"),
    [
        ("restarting", 0, "restarting"),
        ("running", STALE_MS + 5_000, "unknown"),  # its supervisor was killed
    ],
)
def test_a_process_down_makes_the_gateway_degraded(
    gateway_url: str, redis_client: redis.Redis, state: State, age_ms: int, shown: str
) -> None:
    put(redis_client, "web", "running")
    put(redis_client, "ingest", state, restarts=1, age_ms=age_ms)

    body = health(gateway_url, until=lambda body: len(body["processes"]) == 2)

    assert body["status"] == "degraded"
    assert body["processes"]["box/ingest"] == {"state": shown, "restarts": 1}


def test_a_machine_gone_for_minutes_is_forgotten(
    gateway_url: str, redis_client: redis.Redis
) -> None:
    put(redis_client, "ingest", "running", age_ms=FORGET_MS + 1_000)
    put(redis_client, "web", "running")

    assert list(health(gateway_url, until=lambda body: body["processes"])["processes"]) == [
        "box/web"
    ]


def test_metrics_count_restarts_and_say_which_processes_are_up(
    gateway_url: str, redis_client: redis.Redis
) -> None:
    put(redis_client, "ingest", "restarting", restarts=3)
    put(redis_client, "web", "running", restarts=1)
    health(gateway_url, until=lambda body: len(body["processes"]) == 2)

    text = httpx.get(f"{gateway_url}/metrics", timeout=10).text

    assert 'routerai_process_restarts_total{host="box",process="ingest"} 3' in text
    assert 'routerai_process_restarts_total{host="box",process="web"} 1' in text
    assert 'routerai_process_up{host="box",process="ingest"} 0' in text
    assert 'routerai_process_up{host="box",process="web"} 1' in text


def test_with_redis_unreachable_health_still_answers_degraded(
    settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    with (
        private_redis(tmp_path) as server,
        serve_in_thread(create_app(settings_for(REDIS_URL=server.url))) as url,
    ):
        assert health(url)["status"] == "ok"
        server.stop()
        body = health(url, until=lambda body: "redis" in body)
        server.start()
        recovered = health(url, until=lambda body: body["status"] == "ok")

    assert (body["status"], body["redis"]) == ("degraded", "unreachable")
    assert recovered["status"] == "ok"
