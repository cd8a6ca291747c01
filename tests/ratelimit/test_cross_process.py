"""The rate limit is exact across processes: two OS processes share one Redis window."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import redis

from gateway.budget.redis_store import org_scope_key

ROOT = Path(__file__).resolve().parents[2]


def _wait_until_blocked(client: redis.Redis, count: int) -> None:
    """Wait until `count` workers of this test block on the start list, to start together."""
    db = client.get_connection_kwargs().get("db", 0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = [
            c
            for c in cast(list[dict[str, str]], client.client_list())
            if c.get("cmd") == "blpop" and c.get("db") == str(db)
        ]
        if len(waiting) >= count:
            return
        time.sleep(0.005)
    raise AssertionError("the workers never got ready")


def test_200_concurrent_requests_from_two_processes_admit_exactly_50(
    redis_url: str, redis_client: redis.Redis
) -> None:
    now = time.time()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.ratelimit.admit_worker",
                redis_url,
                "100",
                str(now),
                "go",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        _wait_until_blocked(redis_client, len(workers))
        redis_client.rpush("go", *["go"] * len(workers))
        admitted = []
        for worker in workers:
            out, _ = worker.communicate(timeout=60)
            assert worker.returncode == 0
            admitted.append(int(out.strip()))
    finally:
        for worker in workers:
            worker.kill()
    assert sum(admitted) == 50, admitted
    assert int(redis_client.hget(org_scope_key("acme"), "R") or 0) == 50  # type: ignore[arg-type]
