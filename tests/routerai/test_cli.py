"""The `routerai` command line: each command, and clear errors (never a traceback) on bad input."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from gateway.db.engine import make_engine
from gateway.db.sessions import tenant_session
from routerai.admin import find_org
from routerai.cli import app
from tests.fixtures.db import APP_ROLE, OWNER_ROLE, PostgresServer

KEY_PATTERN = re.compile(r"key: (gw_[a-z0-9-]+_(prod|dev)_[A-Za-z0-9]+)")


@pytest.fixture
def run(database_url: str, redis_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "ROUTERAI_ENV": "test"}

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    return invoke


def assert_clean_failure(result, message: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["migrate"],
        ["org", "create"],
        ["key", "create"],
        ["key", "list"],
        ["key", "revoke"],
        ["sandbox"],
        ["api"],
        ["worker"],
        ["up"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_the_whole_key_lifecycle(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert run("migrate").exit_code == 0
    inspector = inspect(make_engine(database_url))
    assert {"organizations", "api_keys", "request_logs"} <= set(inspector.get_table_names())

    created = run("org", "create", "Acme Labs", "--plan", "growth")
    assert created.exit_code == 0, created.output
    slug = re.search(r"slug: (\S+)", created.output).group(1)  # type: ignore[union-attr]
    assert slug == "acme-labs" and "plan: growth" in created.output

    made = run("key", "create", slug, "--env", "dev", "--name", "ci")
    assert made.exit_code == 0, made.output
    full_key = KEY_PATTERN.search(made.output).group(1)  # type: ignore[union-attr]
    assert full_key.startswith(f"gw_{slug}_dev_")
    secret = full_key.rsplit("_", 1)[1]
    assert len(secret) * 5.95 >= 128  # base-62 characters carry ~5.95 bits each

    engine = make_engine(database_url)
    with tenant_session(engine, find_org(engine, slug).id) as session:
        (row,) = session.execute(text("SELECT * FROM api_keys")).mappings().all()
    engine.dispose()
    assert row["key_hash"] == hashlib.sha256(full_key.encode()).hexdigest()
    assert all(secret not in str(value) for value in row.values())

    listed = run("key", "list", slug)
    assert listed.exit_code == 0 and full_key not in listed.output
    key_id = listed.output.split()[0]
    assert "active" in listed.output and "gw_acme-labs_dev_" in listed.output

    revoked = run("key", "revoke", key_id)
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in run("key", "list", slug).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["org", "create", "Acme", "--plan", "platinum"], "free, starter, growth"),
        (["org", "create", "  "], "name"),
        (["key", "create", "nobody"], "no organization"),
        (["key", "create", "acme", "--env", "staging"], "'prod' or 'dev'"),
        (["key", "list", "nobody"], "no organization"),
        (["key", "revoke", "not-a-key-id"], "not a key id"),
        (["key", "revoke", str(uuid.uuid4())], "no API key"),
        (["sandbox", "--port", "99999"], "65535"),
    ],
)
def test_bad_input_is_a_clear_error(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    assert run("migrate").exit_code == 0
    run("org", "create", "Acme")
    assert_clean_failure(run(*args), message)


def test_an_unmigrated_database_is_explained(run) -> None:  # type: ignore[no-untyped-def]
    assert_clean_failure(run("org", "create", "Acme"), "routerai migrate")


def test_a_production_start_refuses_the_default_secret(database_url: str) -> None:
    result = CliRunner().invoke(
        app, ["migrate"], env={"DATABASE_URL": database_url, "ROUTERAI_ENV": "production"}
    )
    assert_clean_failure(result, "ROUTERAI_SECRET_KEY")


def test_migrate_as_a_separate_owner_grants_the_application_role_rows_only(
    postgres_server: PostgresServer, redis_url: str
) -> None:
    postgres_server.ensure_app_role(OWNER_ROLE)
    owner_url = postgres_server.create_database("cli_owned", owner=OWNER_ROLE)
    app_url = owner_url.replace(f"//{OWNER_ROLE}@", f"//{APP_ROLE}@")
    env = {"DATABASE_URL": app_url, "REDIS_URL": redis_url, "ROUTERAI_ENV": "test"}

    same_role = CliRunner().invoke(app, ["migrate"], env={**env, "MIGRATION_DATABASE_URL": app_url})
    assert_clean_failure(same_role, "a role other than MIGRATION_DATABASE_URL's")

    migrated = CliRunner().invoke(
        app, ["migrate"], env={**env, "MIGRATION_DATABASE_URL": owner_url}
    )
    assert migrated.exit_code == 0, migrated.output
    created = CliRunner().invoke(app, ["org", "create", "Acme"], env=env)
    assert created.exit_code == 0, created.output
    engine = make_engine(app_url)
    try:
        with pytest.raises(ProgrammingError, match="must be owner"), engine.begin() as conn:
            conn.execute(text("ALTER TABLE api_keys DISABLE ROW LEVEL SECURITY"))
    finally:
        engine.dispose()
