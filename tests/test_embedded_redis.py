"""The embedded Redis of `routerai up` keeps what it was told through a crash: an append-only
file, synced every second, beside its snapshots."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from gateway.embedded_redis import start_embedded_redis


def test_a_killed_embedded_redis_comes_back_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "redis.db"
    _, server = start_embedded_redis(path)
    assert server.config_get("appendonly") == {"appendonly": "yes"}
    server.hset("gw:budget:{org}:2026-12-01", mapping={"st": 1234, "s": 1})
    time.sleep(1.5)  # the append-only file is synced every second
    os.kill(server.pid, signal.SIGKILL)  # no shutdown, no snapshot: a crash

    _, again = start_embedded_redis(path)
    try:
        assert again.hget("gw:budget:{org}:2026-12-01", "st") == b"1234"
    finally:
        again.shutdown()
