"""Hardening fixtures: PostgreSQL only, the real gateway of tests/gateway, and the ledger.

Hardening runs on PostgreSQL alone: it is the production database, and the one where
row-level security binds the application's role (SQLite runs every other suite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from gateway.api.app import create_app
from gateway.settings import Settings
from tests.analytics.conftest import webhook_receiver  # noqa: F401  (a fixture)
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import (  # noqa: F401  (fixtures)
    client,
    gateway_settings,
    gateway_url,
    make_tenant,
    settings_for,
    tenant,
)
from tests.hardening.ledger import Ledger
from tests.hardening.services import PrivateRedis, private_redis

_LEDGER = pytest.StashKey[Ledger]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_LEDGER] = Ledger()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None or not ledger.suites:
        return
    path = ledger.write(config.rootpath)
    terminalreporter.section("hardening figures")
    for line in ledger.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {path.relative_to(config.rootpath)})")


@pytest.fixture(scope="session")
def ledger(pytestconfig: pytest.Config) -> Ledger:
    return pytestconfig.stash[_LEDGER]


@pytest.fixture
def engine(postgres_engine: Engine) -> Engine:
    """Every hardening test's database: PostgreSQL, as the application's own role."""
    return postgres_engine


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A `redis-server` of the test's own, to stop, restart and flush."""
    with private_redis(tmp_path) as server:
        yield server


@pytest.fixture
def app_on_private_redis(
    settings_for: Callable[..., Settings],  # noqa: F811  (the fixture imported above)
    redis_server: PrivateRedis,
) -> Iterator[tuple[Starlette, str]]:
    """A gateway (in a thread) on the private Redis: the app and its URL."""
    app = create_app(settings_for(REDIS_URL=redis_server.url))
    with serve_in_thread(app) as url:
        yield app, url
