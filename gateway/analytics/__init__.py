"""Usage analytics and the jobs behind them: roll-ups, budget alerts, retention, resets.

The services here are what background jobs call (workers/ stays a thin layer over them)
and what the dashboard reads (`queries`). They take engines, sessions, Redis clients and
`now` as arguments; none of them schedules anything.
"""

from gateway.analytics.alerts import BudgetCaps, raise_budget_alerts, thresholds_reached
from gateway.analytics.dirty import OrgDay, clear_dirty, dirty_snapshot, mark_dirty
from gateway.analytics.queries import (
    DailyPoint,
    daily_usage,
    period_budget_alerts,
    recent_budget_alerts,
    usage_totals,
)
from gateway.analytics.resets import advance_budget_resets
from gateway.analytics.retention import purge_expired_logs, retention_cutoff
from gateway.analytics.rollup import RollupResult, rollup_days, rollup_dirty
from gateway.analytics.totals import DayTotals
from gateway.analytics.webhooks import deliver_budget_alert, verify_signature, webhook_secret

__all__ = [
    "BudgetCaps",
    "DailyPoint",
    "DayTotals",
    "OrgDay",
    "RollupResult",
    "advance_budget_resets",
    "clear_dirty",
    "daily_usage",
    "deliver_budget_alert",
    "dirty_snapshot",
    "mark_dirty",
    "period_budget_alerts",
    "purge_expired_logs",
    "raise_budget_alerts",
    "recent_budget_alerts",
    "retention_cutoff",
    "rollup_days",
    "rollup_dirty",
    "thresholds_reached",
    "usage_totals",
    "verify_signature",
    "webhook_secret",
]
