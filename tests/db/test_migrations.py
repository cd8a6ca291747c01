"""Migrations: up, down and up again on both databases; the schema matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from gateway.db.engine import make_engine
from gateway.db.migrate import current_revision, downgrade, upgrade
from gateway.db.models import TENANT_TABLES, metadata

ALL_TABLES = {table.name for table in metadata.sorted_tables}
# Tables without an org_id: organizations and users have policies of their own (0005);
# stripe_events is read by the webhook alone, before any organization is known.
SHARED_TABLES = {"organizations", "users"}
UNSECURED_TABLES = {"stripe_events"}
SHARED_POLICIES = {
    ("organizations", "system_access", "ALL"),
    ("organizations", "tenant_isolation", "ALL"),
    ("organizations", "member_organizations", "SELECT"),
    ("users", "system_access", "ALL"),
    ("users", "own_account", "SELECT"),
    ("users", "organization_members", "SELECT"),
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_creates_every_table(database_url: str) -> None:
    assert _tables(database_url) == set()
    upgrade(database_url)
    assert _tables(database_url) == ALL_TABLES
    assert current_revision(database_url) is not None


def test_downgrade_leaves_no_table_and_upgrade_works_again(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url)
    assert _tables(database_url) == set()
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert _tables(database_url) == ALL_TABLES


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_tenant_tables_are_exactly_those_with_org_id() -> None:
    assert set(TENANT_TABLES) == ALL_TABLES - SHARED_TABLES - UNSECURED_TABLES


def _row_security(engine: Engine) -> dict[str, tuple[bool, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        ).all()
    return {name: (enabled, forced) for name, enabled, forced in rows}


def test_row_level_security_is_enabled_and_forced_on_tenant_and_shared_tables(
    postgres_engine: Engine,
) -> None:
    security = _row_security(postgres_engine)
    for table in (*TENANT_TABLES, *SHARED_TABLES):
        assert security[table] == (True, True), table
    for table in UNSECURED_TABLES:
        assert security[table] == (False, False), table


def test_every_tenant_table_has_the_isolation_policy(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies")
        ).all()
    isolation = {
        row.tablename: row
        for row in rows
        if row.policyname == "tenant_isolation" and row.tablename in TENANT_TABLES
    }
    assert set(isolation) == set(TENANT_TABLES)
    for row in isolation.values():
        assert row.cmd == "ALL"
        assert "routerai.org_id" in row.qual
        assert "routerai.org_id" in row.with_check
    others = {(row.tablename, row.policyname, row.cmd) for row in rows} - {
        (table, "tenant_isolation", "ALL") for table in TENANT_TABLES
    }
    assert others == {("org_members", "own_memberships", "SELECT"), *SHARED_POLICIES}


def _shared_policies(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tablename, policyname, cmd FROM pg_policies "
                "WHERE tablename IN ('organizations', 'users')"
            )
        ).all()
    return {(row.tablename, row.policyname, row.cmd) for row in rows}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_0005_down_and_up_takes_the_shared_tables_policies_away_and_back(
    database_url: str,
) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        downgrade(database_url, "0004")
        assert current_revision(database_url) == "0004"
        assert _shared_policies(engine) == set()
        security = _row_security(engine)
        assert {table: security[table] for table in SHARED_TABLES} == dict.fromkeys(
            SHARED_TABLES, (False, False)
        )
        assert _tenant_policies_intact(engine)

        upgrade(database_url)
        assert current_revision(database_url) == "0005"
        assert _shared_policies(engine) == SHARED_POLICIES
        security = _row_security(engine)
        assert {table: security[table] for table in SHARED_TABLES} == dict.fromkeys(
            SHARED_TABLES, (True, True)
        )
    finally:
        engine.dispose()


def _tenant_policies_intact(engine: Engine) -> bool:
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_policies WHERE policyname = 'tenant_isolation'")
        ).scalars()
        return set(tables) == set(TENANT_TABLES)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_0005_changes_nothing_on_sqlite(database_url: str) -> None:
    upgrade(database_url, "0004")
    before = _tables(database_url)
    upgrade(database_url)
    assert current_revision(database_url) == "0005" and _tables(database_url) == before
    downgrade(database_url, "0004")
    assert current_revision(database_url) == "0004" and _tables(database_url) == before


@pytest.mark.parametrize("backend", ["postgresql"])
def test_downgrade_removes_the_policies(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_policies")).scalar_one() == 0
    finally:
        engine.dispose()
