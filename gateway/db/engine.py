"""Engines for the two databases RouterAI runs on: SQLite (embedded) and PostgreSQL.

`make_engine` is the only place that knows driver details: PostgreSQL goes
through psycopg 3 whatever the URL's spelling, SQLite gets WAL, enforced
foreign keys and a connection usable from any thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg")
SQLITE_BUSY_TIMEOUT_S = 15.0


def normalize_database_url(url: str | URL) -> URL:
    """`url` with PostgreSQL mapped to the psycopg 3 driver (postgres:// and postgresql://)."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername in _POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_postgresql(url: str | URL) -> bool:
    """True when `url` names a PostgreSQL database."""
    return normalize_database_url(url).get_backend_name() == "postgresql"


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An Engine for `url`: SQLite (file or memory) or PostgreSQL via psycopg 3.

    For a SQLite file the parent directory is created when missing, so the
    embedded default (`sqlite:///data/routerai.db`) works on a fresh clone.
    """
    parsed = normalize_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Runs outside any transaction: PRAGMA foreign_keys is a no-op inside one.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
