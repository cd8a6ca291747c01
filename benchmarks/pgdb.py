"""A scratch PostgreSQL database for a benchmark, owned by a role that row-level security binds.

The admin URL (a superuser, default postgresql://postgres@127.0.0.1:5432/postgres) only
creates the role `routerai_app` (NOSUPERUSER, NOBYPASSRLS) when missing and a fresh
database it owns; everything the benchmark measures runs as that role, as in production.
The database is dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import make_url

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
APP_ROLE = "routerai_app"


@contextmanager
def scratch_database(admin_url: str = DEFAULT_ADMIN_URL) -> Iterator[str]:
    """Yield the app role's URL of a new, empty database; drop it at the end."""
    admin = make_url(admin_url).set(drivername="postgresql")
    name = f"routerai_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with _connect(admin) as conn:
        with contextlib.suppress(psycopg.errors.DuplicateObject):
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(APP_ROLE)))
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(sql.Identifier(APP_ROLE))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)
            )
        )
    try:
        app = admin.set(username=APP_ROLE, password=None, database=name)
        yield app.render_as_string(hide_password=False)
    finally:
        with _connect(admin) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _connect(url: object) -> psycopg.Connection[object]:
    rendered = url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    return psycopg.connect(rendered, autocommit=True)
