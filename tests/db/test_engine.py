"""make_engine and the session scopes: drivers, SQLite pragmas, commit and rollback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from gateway.db.engine import is_postgresql, make_engine, normalize_database_url
from gateway.db.members import add_member, list_members
from gateway.db.models import Organization, User
from gateway.db.orgs import create_organization, get_org_by_slug
from gateway.db.sessions import scope_session, system_session, tenant_session
from gateway.db.users import create_user
from gateway.tenancy.keys import create_api_key, list_api_keys


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///data/routerai.db", "sqlite"),
    ],
)
def test_urls_map_to_the_right_driver(url: str, driver: str) -> None:
    assert normalize_database_url(url).drivername == driver
    assert is_postgresql(url) == driver.startswith("postgresql")


def test_postgres_url_keeps_its_credentials_and_database() -> None:
    url = normalize_database_url("postgres://app:s3cret@db.internal:6543/routerai?sslmode=require")
    assert (url.username, url.password, url.host, url.port) == (
        "app",
        "s3cret",
        "db.internal",
        6543,
    )
    assert (url.database, url.query["sslmode"]) == ("routerai", "require")


def test_sqlite_gets_wal_foreign_keys_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "dir" / "routerai.db"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_engine_is_usable_from_another_thread(tmp_path: Path) -> None:
    import threading

    engine = make_engine(f"sqlite:///{(tmp_path / 't.db').as_posix()}")
    results: list[int] = []
    with engine.connect() as conn:
        worker = threading.Thread(
            target=lambda: results.append(conn.execute(text("SELECT 1")).scalar_one())
        )
        worker.start()
        worker.join()
    engine.dispose()
    assert results == [1]


def test_a_session_commits_when_its_block_returns(engine: Engine) -> None:
    with system_session(engine) as session:
        create_organization(session, name="Kept")
    with system_session(engine) as session:
        assert get_org_by_slug(session, slug="kept") is not None


def test_a_session_rolls_back_when_its_block_raises(engine: Engine, make_org) -> None:
    org = make_org("Rolled")
    with pytest.raises(RuntimeError), tenant_session(engine, org.id) as session:
        create_api_key(session, org=org, name="doomed", environment="prod")
        raise RuntimeError("boom")
    with tenant_session(engine, org.id) as session:
        assert list_api_keys(session, org_id=org.id) == []


def test_rows_stay_readable_after_the_session(engine: Engine) -> None:
    with system_session(engine) as session:
        org = create_organization(session, name="Detached")
    assert (org.slug, org.name) == ("detached", "Detached")


def test_sign_up_is_one_transaction(engine: Engine) -> None:
    """Organization, owner and first key together, or none of them."""
    with pytest.raises(RuntimeError), system_session(engine) as session:
        user = create_user(session, email="founder@example.com")
        org = create_organization(session, name="Startup")
        scope_session(session, org_id=org.id)
        add_member(session, org_id=org.id, user_id=user.id, role="owner")
        raise RuntimeError("payment method declined")
    with system_session(engine) as session:
        assert session.exec(select(Organization)).all() == []
        assert session.exec(select(User)).all() == []

    with system_session(engine) as session:
        user = create_user(session, email="founder@example.com")
        org = create_organization(session, name="Startup")
        scope_session(session, org_id=org.id)
        add_member(session, org_id=org.id, user_id=user.id, role="owner")
        create_api_key(session, org=org, name="default", environment="prod")
    with tenant_session(engine, org.id) as session:
        assert [m.user_id for m in list_members(session, org_id=org.id)] == [user.id]
        assert len(list_api_keys(session, org_id=org.id)) == 1
