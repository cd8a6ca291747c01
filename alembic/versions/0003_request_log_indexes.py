"""Indexes behind the request log page: every filter's first page is an ordered index scan.

The page lists one organization's requests newest first, by keyset (created_at, id),
with optional filters. Each index leads with org_id and the filtered column and ends
with (created_at, id), so an equality filter reads its first page straight off the index,
in order, and stops after one page whatever the table's size. (org_id, created_at, id)
replaces (org_id, created_at): it serves everything the old one did, and the keyset's
tie-breaker too.

Errors and cache answers are usually a small share of the traffic, so their indexes are
partial (status_code >= 400, cache_status <> 'miss'); the common values (successful
requests, cache misses) are served by walking (org_id, created_at, id) and filtering.
A status class (4xx, 5xx, any error) is a range, which (org_id, status_code, …) cannot
return in time order, and an index on status_code / 100 would be useless under row-level
security (integer division is not leakproof, so PostgreSQL will not use it as an index
condition); so the errors alone also get (org_id, created_at, id), walked in order and
filtered by class: it holds only the failed requests, whichever class is asked for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "request_logs"
ERRORS = "status_code >= 400"
CACHE_ANSWERS = "cache_status <> 'miss'"
# (name, leading column after org_id or None, partial predicate or None)
INDEXES: tuple[tuple[str, str | None, str | None], ...] = (
    ("ix_request_logs_org_id_created_at_id", None, None),
    ("ix_request_logs_org_id_provider_created_at_id", "provider", None),
    ("ix_request_logs_org_id_model_used_created_at_id", "model_used", None),
    ("ix_request_logs_org_id_api_key_id_created_at_id", "api_key_id", None),
    ("ix_request_logs_org_id_created_at_id_errors", None, ERRORS),
    ("ix_request_logs_org_id_status_code_created_at_id", "status_code", ERRORS),
    ("ix_request_logs_org_id_cache_status_created_at_id", "cache_status", CACHE_ANSWERS),
)


def upgrade() -> None:
    for name, column, predicate in INDEXES:
        columns = ["org_id", *([column] if column else []), "created_at", "id"]
        where = {} if predicate is None else _where(predicate)
        op.create_index(name, TABLE, columns, **where)
    op.drop_index("ix_request_logs_org_id_created_at", table_name=TABLE)


def downgrade() -> None:
    op.create_index("ix_request_logs_org_id_created_at", TABLE, ["org_id", "created_at"])
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=TABLE)


def _where(predicate: str) -> dict[str, object]:
    clause = sa.text(predicate)
    return {"postgresql_where": clause, "sqlite_where": clause}
