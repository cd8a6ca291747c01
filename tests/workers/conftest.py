"""Worker fixtures: worker processes of their own, and the real gateway to serve requests.

The gateway fixtures (`gateway_url`, `make_tenant`, `tenant`, …) are those of
tests/gateway, imported so that these tests serve real requests through a real gateway.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gateway.settings import Settings
from tests.analytics.conftest import webhook_receiver  # noqa: F401  (a fixture)
from tests.gateway.conftest import (  # noqa: F401  (fixtures)
    gateway_settings,
    gateway_url,
    make_tenant,
    settings_for,
    tenant,
)
from tests.gateway.processes import settings_env

ROOT = Path(__file__).resolve().parents[2]

Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def worker_settings(engine: Engine, redis_url: str) -> Settings:
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REDIS_URL=redis_url,
        ROUTERAI_ENV="test",
        ROUTERAI_ALLOW_PRIVATE_WEBHOOKS=True,  # webhook receivers listen on 127.0.0.1
    )


@pytest.fixture
def spawn(worker_settings: Settings) -> Iterator[Spawn]:
    """spawn("workers", "ingest", …) → `python -m …` with the test's settings; killed after."""
    started: list[subprocess.Popen[bytes]] = []

    def run(module: str, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=settings_env(worker_settings),
            start_new_session=True,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
