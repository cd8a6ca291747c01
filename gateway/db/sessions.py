"""Sessions scoped to a tenant, to a user, or to the system; one transaction each.

On PostgreSQL every tenant-owned table has row-level security forced; its
policy compares `org_id` with the transaction-local setting `routerai.org_id`.
A tenant session sets it at the start of every transaction it begins, so a
query can only ever see, insert or update the scoped organization's rows, and
a session without a scope sees no tenant row at all.

`organizations` and `users` have policies of their own (migration 0005): a
tenant session sees its own organization and the users who are its members; a
user session sees that user and the organizations they belong to; a system
session (setting `routerai.system`) sees them all, and still no tenant row. A
session with none of these settings sees neither. SQLite has no such guard:
queries there must filter on `org_id` themselves (the services here do on both
databases).

Which to use: a path that knows its organization (every dashboard service,
through the actor) or its user reads them in a tenant or user session. The
system session is for what must find or span organizations and users before
any is known or across all of them: a key's slug, a sign-in's email, sign-up,
Stripe's customer ids, the jobs over every organization, the operator's
command line.

The settings guard against a query that forgets its filter, not against code
running inside the application: the application's role sets them itself.

Every context manager runs its body in one transaction that commits when the
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
SYSTEM_SETTING = "routerai.system"
SYSTEM_ON = "on"
_SCOPE_KEY = "routerai.scope"
_APPLIED_KEY = "routerai.scope_applied"
# is_local = true: the settings end with the transaction, so a pooled
# connection never carries one tenant's scope into another's transaction.
_SET_SCOPE = text(
    f"SELECT set_config('{ORG_SETTING}', :org_id, true), "
    f"set_config('{USER_SETTING}', :user_id, true), "
    f"set_config('{SYSTEM_SETTING}', :system, true)"
)


@contextmanager
def tenant_session(engine: Engine, org_id: uuid.UUID) -> Iterator[Session]:
    """A Session in one transaction, scoped to the organization `org_id`."""
    with _session(engine) as session:
        scope_session(session, org_id=org_id)
        yield session


@contextmanager
def user_session(engine: Engine, user_id: uuid.UUID) -> Iterator[Session]:
    """A Session in one transaction that may read `user_id`'s own user row, memberships and
    the organizations they are in.

    This is what the dashboard uses after sign-in to list the user's
    organizations, before one of them is chosen; it sees no other tenant row.
    """
    with _session(engine) as session:
        scope_session(session, user_id=user_id)
        yield session


@contextmanager
def system_session(engine: Engine) -> Iterator[Session]:
    """A Session in one transaction that sees every organization and user, no tenant row.

    For what must find or span organizations and users (see the module's docstring)
    and for `stripe_events`. On PostgreSQL it sees no tenant-owned row.
    """
    with _session(engine) as session:
        _set_scope(session, {"org_id": "", "user_id": "", "system": SYSTEM_ON})
        yield session


def scope_session(
    session: Session, *, org_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> None:
    """Scope `session` to a tenant (and/or a user) from now on, this transaction included.

    Use it inside a `system_session` to continue with tenant-owned rows in the
    same transaction, e.g. at sign-up: create the organization, flush, scope
    the session to it, then add its owner and first key, all or nothing. A
    system session stays one: it still sees every organization and user.
    """
    previous = session.info.get(_SCOPE_KEY) or {}
    system = previous.get("system", "")
    _set_scope(
        session, {"org_id": _setting(org_id), "user_id": _setting(user_id), "system": system}
    )


def _set_scope(session: Session, scope: dict[str, str]) -> None:
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
