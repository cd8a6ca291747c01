"""Initial schema: tenants, people, keys, usage and billing; row-level security on PostgreSQL.

Every tenant-owned table (each one with an org_id) gets row-level security
enabled AND forced on PostgreSQL, so even the tables' owner (the app's role)
is bound by the policy; the policy admits only rows of the organization named
by the transaction-local setting `routerai.org_id`, for reading and writing
alike. Without the setting no tenant row is visible.

`organizations`, `users` and `stripe_events` have no org_id and no RLS: they
are looked up before a tenant is known (an API key names its org by slug, a
sign-in names a user by email, a Stripe event names a customer).

`org_members` has a second, read-only policy: a user may see their own
memberships (setting `routerai.user_id`), so the dashboard can list a user's
organizations before one is chosen.

Money columns are NUMERIC(20, 6): dollars with six decimals, i.e. integer
micro-USD in code. Timestamps are timezone-aware.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(20, 6)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# SQLite only autoincrements an INTEGER PRIMARY KEY.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TENANT_TABLES = (
    "org_members",
    "api_keys",
    "provider_credentials",
    "request_logs",
    "usage_daily",
    "budget_alerts",
    "meter_reports",
)
TENANT_PREDICATE = "org_id = NULLIF(current_setting('routerai.org_id', true), '')::uuid"
OWN_MEMBERSHIP_PREDICATE = "user_id = NULLIF(current_setting('routerai.user_id', true), '')::uuid"


def _in(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organizations.id"],
        name=f"fk_{table}_org_id_organizations",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(32), nullable=False),
        sa.Column("plan", sa.String(16), nullable=False),
        sa.Column("plan_status", sa.String(16), nullable=False),
        sa.Column("past_due_since", TIMESTAMP, nullable=True),
        sa.Column("monthly_token_budget", sa.BigInteger(), nullable=True),
        sa.Column("monthly_usd_budget", MONEY, nullable=True),
        sa.Column("budget_reset_day", sa.SmallInteger(), nullable=False),
        sa.Column("budget_reset_at", TIMESTAMP, nullable=False),
        sa.Column("routing_strategy", sa.String(16), nullable=False),
        sa.Column("routing_weights", JSON, nullable=False),
        sa.Column("prefer_local", sa.Boolean(), nullable=False),
        sa.Column("baseline_model", sa.String(128), nullable=False),
        sa.Column("allowed_providers", JSON, nullable=True),
        sa.Column("allowed_models", JSON, nullable=True),
        sa.Column("cache_enabled", sa.Boolean(), nullable=False),
        sa.Column("cache_threshold", sa.Float(), nullable=False),
        sa.Column("cache_ttl_s", sa.Integer(), nullable=False),
        sa.Column("cache_max_temperature", sa.Float(), nullable=False),
        sa.Column("notification_webhook_url", sa.String(2048), nullable=True),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.Integer(), nullable=True),
        sa.Column("stripe_customer_id", sa.String(255), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organizations"),
        sa.UniqueConstraint("slug", name="uq_organizations_slug"),
        sa.UniqueConstraint("stripe_customer_id", name="uq_organizations_stripe_customer_id"),
        sa.UniqueConstraint(
            "stripe_subscription_id", name="uq_organizations_stripe_subscription_id"
        ),
        sa.CheckConstraint(
            _in("plan", "free", "starter", "growth", "scale", "enterprise"),
            name="ck_organizations_plan",
        ),
        sa.CheckConstraint(
            _in("plan_status", "active", "past_due", "canceled"),
            name="ck_organizations_plan_status",
        ),
        sa.CheckConstraint(
            _in("routing_strategy", "cost", "quality", "latency", "balanced", "custom"),
            name="ck_organizations_routing_strategy",
        ),
        sa.CheckConstraint(
            "budget_reset_day BETWEEN 1 AND 28", name="ck_organizations_budget_reset_day"
        ),
        sa.CheckConstraint(
            "cache_threshold BETWEEN 0 AND 1", name="ck_organizations_cache_threshold"
        ),
    )

    op.create_table(
        "users",
        sa.Column("id", UUID, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("github_id", sa.BigInteger(), nullable=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("github_id", name="uq_users_github_id"),
        sa.CheckConstraint("email = lower(email)", name="ck_users_email_lowercase"),
    )

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stripe_events"),
    )

    op.create_table(
        "org_members",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_org_members"),
        _org_fk("org_members"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_org_members_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("org_id", "user_id", name="uq_org_members_org_id_user_id"),
        sa.CheckConstraint(
            _in("role", "owner", "admin", "member", "viewer"), name="ck_org_members_role"
        ),
    )
    op.create_index("ix_org_members_user_id", "org_members", ["user_id"])

    op.create_table(
        "api_keys",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_by", UUID, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        _org_fk("api_keys"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_api_keys_created_by_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        sa.CheckConstraint(_in("environment", "prod", "dev"), name="ck_api_keys_environment"),
    )
    op.create_index("ix_api_keys_org_id", "api_keys", ["org_id"])

    op.create_table(
        "provider_credentials",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("encrypted_secret", sa.LargeBinary(), nullable=False),
        sa.Column("last_four", sa.String(4), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_provider_credentials"),
        _org_fk("provider_credentials"),
        sa.UniqueConstraint("org_id", "provider", name="uq_provider_credentials_org_id_provider"),
    )

    op.create_table(
        "request_logs",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("api_key_id", UUID, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("model_requested", sa.String(128), nullable=False),
        sa.Column("model_used", sa.String(128), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("total_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", MONEY, nullable=False),
        sa.Column("baseline_cost", MONEY, nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("ttfb_ms", sa.Integer(), nullable=True),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("cache_status", sa.String(16), nullable=False),
        sa.Column("cache_similarity", sa.Float(), nullable=True),
        sa.Column("streamed", sa.Boolean(), nullable=False),
        sa.Column("routing", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_request_logs"),
        _org_fk("request_logs"),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name="fk_request_logs_api_key_id_api_keys",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("request_id", name="uq_request_logs_request_id"),
        sa.CheckConstraint(
            _in("cache_status", "miss", "exact", "semantic", "bypass"),
            name="ck_request_logs_cache_status",
        ),
    )
    op.create_index("ix_request_logs_org_id_created_at", "request_logs", ["org_id", "created_at"])

    op.create_table(
        "usage_daily",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost", MONEY, nullable=False),
        sa.Column("baseline_cost", MONEY, nullable=False),
        sa.Column("cache_hits", sa.BigInteger(), nullable=False),
        sa.Column("cache_misses", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("by_provider", JSON, nullable=False),
        sa.Column("by_model", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usage_daily"),
        _org_fk("usage_daily"),
        sa.UniqueConstraint("org_id", "day", name="uq_usage_daily_org_id_day"),
    )

    op.create_table(
        "budget_alerts",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("threshold", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_alerts"),
        _org_fk("budget_alerts"),
        sa.UniqueConstraint(
            "org_id",
            "period",
            "kind",
            "threshold",
            name="uq_budget_alerts_org_id_period_kind_threshold",
        ),
        sa.CheckConstraint(_in("kind", "tokens", "usd"), name="ck_budget_alerts_kind"),
        sa.CheckConstraint("threshold IN (50, 80, 100)", name="ck_budget_alerts_threshold"),
    )

    op.create_table(
        "meter_reports",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("meter", sa.String(64), nullable=False),
        sa.Column("hour", TIMESTAMP, nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("identifier", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meter_reports"),
        _org_fk("meter_reports"),
        sa.UniqueConstraint("identifier", name="uq_meter_reports_identifier"),
        sa.UniqueConstraint("org_id", "meter", "hour", name="uq_meter_reports_org_id_meter_hour"),
        sa.CheckConstraint(
            _in("status", "pending", "sent", "failed"), name="ck_meter_reports_status"
        ),
    )

    if op.get_bind().dialect.name == "postgresql":
        _enable_row_level_security()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _disable_row_level_security()
    # Children before parents, so no foreign key is left pointing at a dropped table.
    op.drop_table("meter_reports")
    op.drop_table("budget_alerts")
    op.drop_table("usage_daily")
    op.drop_index("ix_request_logs_org_id_created_at", table_name="request_logs")
    op.drop_table("request_logs")
    op.drop_table("provider_credentials")
    op.drop_index("ix_api_keys_org_id", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("ix_org_members_user_id", table_name="org_members")
    op.drop_table("org_members")
    op.drop_table("stripe_events")
    op.drop_table("users")
    op.drop_table("organizations")


def _enable_row_level_security() -> None:
    for table in TENANT_TABLES:
        # FORCE: the policy binds the table's owner too, i.e. the app's own role.
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
        )
    op.execute(
        "CREATE POLICY own_memberships ON org_members FOR SELECT "
        f"USING ({OWN_MEMBERSHIP_PREDICATE})"
    )


def _disable_row_level_security() -> None:
    op.execute("DROP POLICY own_memberships ON org_members")
    for table in reversed(TENANT_TABLES):
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
