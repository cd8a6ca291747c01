"""Row-level security on `organizations` and `users`, where a tenant or a user reads them.

0001 left both tables open because some reads come before any tenant is known: a key
names its organization by slug, a sign-in names its user by email, sign-up creates
both, Stripe names a customer, and the jobs and the operator's command line work
across every organization. Those now run in a *system* session, which sets the
transaction-local `routerai.system` to `on`; every other reader is narrowed:

- a tenant session (`routerai.org_id`) sees and changes its own organization only, and
  reads the users who are members of it (the members page);
- a user session (`routerai.user_id`) reads that user and the organizations the user
  is a member of (the organization switcher), through the user's own memberships;
- a session with none of the settings sees neither table.

Both tables get RLS enabled and forced, like the tenant tables. Policies are
permissive, so a row is visible when any of them admits it. Foreign-key checks and
cascades bypass row-level security, so deleting an organization in its own scope still
removes its tenant rows. A later data migration on these tables must set
`routerai.system` itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORG = "NULLIF(current_setting('routerai.org_id', true), '')::uuid"
USER = "NULLIF(current_setting('routerai.user_id', true), '')::uuid"
SYSTEM = "current_setting('routerai.system', true) = 'on'"

# (table, policy, command, predicate): USING and, for ALL, WITH CHECK alike.
POLICIES = (
    ("organizations", "system_access", "ALL", SYSTEM),
    ("organizations", "tenant_isolation", "ALL", f"id = {ORG}"),
    (
        "organizations",
        "member_organizations",
        "SELECT",
        f"id IN (SELECT org_id FROM org_members WHERE user_id = {USER})",
    ),
    ("users", "system_access", "ALL", SYSTEM),
    ("users", "own_account", "SELECT", f"id = {USER}"),
    (
        "users",
        "organization_members",
        "SELECT",
        f"id IN (SELECT user_id FROM org_members WHERE org_id = {ORG})",
    ),
)
TABLES = ("organizations", "users")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        # FORCE: the policies bind the tables' owner too (the application's role when no
        # separate MIGRATION_DATABASE_URL owns the schema).
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for table, name, command, predicate in POLICIES:
        check = f" WITH CHECK ({predicate})" if command == "ALL" else ""
        op.execute(
            f"CREATE POLICY {name} ON {table} FOR {command} USING ({predicate}){check}"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name, _, _ in reversed(POLICIES):
        op.execute(f"DROP POLICY {name} ON {table}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
