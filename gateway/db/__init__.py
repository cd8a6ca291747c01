"""The data layer: SQLModel tables, engines, tenant-scoped sessions, migrations and services.

Kept import-light on purpose: `gateway.db.enums` and `gateway.db.money` must
stay importable by pure policy modules without pulling in SQLAlchemy.

- `gateway.db.models`: the tables (re-exported from one module per area)
- `gateway.db.engine`: `make_engine(url)`
- `gateway.db.sessions`: `tenant_session`, `user_session`, `system_session`
- `gateway.db.migrate`: `upgrade(url)`, `downgrade(url)`
- `gateway.db.orgs`, `gateway.db.users`, `gateway.db.members`: small services
"""
