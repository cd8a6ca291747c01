"""Budget alerts at any threshold from 1 to 100 %, for per-organization thresholds.

0002 added `organizations.alert_thresholds`; the alerts table still accepted only the
default thresholds (50, 80, 100).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "ck_budget_alerts_threshold"


def upgrade() -> None:
    with op.batch_alter_table("budget_alerts") as batch:
        batch.drop_constraint(CONSTRAINT, type_="check")
        batch.create_check_constraint(CONSTRAINT, "threshold BETWEEN 1 AND 100")


def downgrade() -> None:
    op.execute("DELETE FROM budget_alerts WHERE threshold NOT IN (50, 80, 100)")
    with op.batch_alter_table("budget_alerts") as batch:
        batch.drop_constraint(CONSTRAINT, type_="check")
        batch.create_check_constraint(CONSTRAINT, "threshold IN (50, 80, 100)")
