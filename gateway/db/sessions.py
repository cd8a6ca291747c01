"""Sessions scoped to a tenant, and the system session for rows that belong to no tenant.

On PostgreSQL every tenant-owned table has row-level security forced; its
policy compares `org_id` with the transaction-local setting `routerai.org_id`.
A tenant session sets it at the start of every transaction it begins, so a
query can only ever see, insert or update the scoped organization's rows, and
a session without a scope sees no tenant row at all. SQLite has no such
guard: queries there must filter on `org_id` themselves (the services here do
on both databases).

Both context managers run their body in one transaction that commits when the
body returns and rolls back when it raises. Code inside calls `flush()`, not
`commit()`. Rows stay readable after the block (`expire_on_commit=False`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlmodel import Session

ORG_SETTING = "routerai.org_id"
USER_SETTING = "routerai.user_id"
_SCOPE_KEY = "routerai.scope"
_APPLIED_KEY = "routerai.scope_applied"
# is_local = true: the settings end with the transaction, so a pooled
# connection never carries one tenant's scope into another's transaction.
_SET_SCOPE = text(
    f"SELECT set_config('{ORG_SETTING}', :org_id, true), "
    f"set_config('{USER_SETTING}', :user_id, true)"
)


@contextmanager
def tenant_session(engine: Engine, org_id: uuid.UUID) -> Iterator[Session]:
    """A Session in one transaction, scoped to the organization `org_id`."""
    with _session(engine) as session:
        scope_session(session, org_id=org_id)
        yield session


@contextmanager
def user_session(engine: Engine, user_id: uuid.UUID) -> Iterator[Session]:
    """A Session in one transaction that may read `user_id`'s own memberships, in any org.

    This is what the dashboard uses after sign-in to list the user's
    organizations, before one of them is chosen; it sees no other tenant row.
    """
    with _session(engine) as session:
        scope_session(session, user_id=user_id)
        yield session


@contextmanager
def system_session(engine: Engine) -> Iterator[Session]:
    """A Session in one transaction, with no tenant scope.

    For the tables that are not tenant-owned (organizations, users,
    stripe_events). On PostgreSQL it sees no tenant-owned row.
    """
    with _session(engine) as session:
        yield session


def scope_session(
    session: Session, *, org_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> None:
    """Scope `session` to a tenant (and/or a user) from now on, this transaction included.

    Use it inside a `system_session` to continue with tenant-owned rows in the
    same transaction, e.g. at sign-up: create the organization, flush, scope
    the session to it, then add its owner and first key, all or nothing.
    """
    scope = {"org_id": _setting(org_id), "user_id": _setting(user_id)}
    session.info[_SCOPE_KEY] = scope
    if not event.contains(session, "after_begin", _apply_scope):
        event.listen(session, "after_begin", _apply_scope)
    connection = session.connection()  # a new transaction applies the scope in after_begin
    if session.info.get(_APPLIED_KEY) is not scope:
        _apply_scope(session, None, connection)


def _apply_scope(session: Session, _transaction: Any, connection: Connection) -> None:
    scope = session.info.get(_SCOPE_KEY)
    if scope is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET_SCOPE, scope)
    session.info[_APPLIED_KEY] = scope


def _setting(value: uuid.UUID | None) -> str:
    return "" if value is None else str(value)


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
