"""Hardening fixtures: PostgreSQL only, the real gateway of tests/gateway, and the ledger.

Hardening runs on PostgreSQL alone: it is the production database, and the one where
row-level security binds the application's role (SQLite runs every other suite).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.analytics.conftest import webhook_receiver  # noqa: F401  (a fixture)
from tests.gateway.conftest import (  # noqa: F401  (fixtures)
    client,
    gateway_settings,
    gateway_url,
    make_tenant,
    settings_for,
    tenant,
)
from tests.hardening.ledger import Ledger

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
