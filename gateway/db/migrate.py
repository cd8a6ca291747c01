"""Schema migrations, programmatically: what `routerai migrate` and the tests call.

alembic.ini is found at the repository root, relative to this module, so the
functions work from any working directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import make_url, text

from gateway.db.engine import make_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = REPO_ROOT / "alembic.ini"


def alembic_config(url: str) -> Config:
    """The Alembic Config for the database at `url` (logging left to the caller)."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str, revision: str = "head", *, grant_to: str | None = None) -> None:
    """Migrate the database at `url` up to `revision` (the newest by default).

    `grant_to` names the application's PostgreSQL role when `url` connects as a separate
    owner role: it then gets exactly the row privileges it needs (read, insert, update,
    delete; sequences for ids) and nothing that changes a table, so it cannot turn a
    table's row-level security off.
    """
    command.upgrade(alembic_config(url), revision)
    if grant_to is not None:
        grant_row_access(url, grant_to)


def grant_row_access(url: str, role: str) -> None:
    """Give `role` row access to every table of the public schema at `url` (PostgreSQL)."""
    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return
        quoted = engine.dialect.identifier_preparer.quote(role)
        with engine.begin() as connection:
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            ):
                connection.execute(text(statement))
    finally:
        engine.dispose()


def role_of(url: str) -> str | None:
    """The user name a database URL connects as, if it names one."""
    return make_url(url).username


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at `url` down to `revision` (an empty schema by default)."""
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
