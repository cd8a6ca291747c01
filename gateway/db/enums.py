"""The closed vocabularies stored in the database, as plain string enums.

Kept free of SQLAlchemy so pure policy modules (routing, cache, budget) can
import them without pulling in the data layer. The plan names live with the
plans themselves, in `gateway.billing.plans.PlanName`.
"""

from __future__ import annotations

from enum import StrEnum


class PlanStatus(StrEnum):
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


class RoutingStrategy(StrEnum):
    COST = "cost"
    QUALITY = "quality"
    LATENCY = "latency"
    BALANCED = "balanced"
    CUSTOM = "custom"


class MemberRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class KeyEnvironment(StrEnum):
    PROD = "prod"
    DEV = "dev"


class CacheStatus(StrEnum):
    MISS = "miss"
    EXACT = "exact"
    SEMANTIC = "semantic"
    BYPASS = "bypass"


class BudgetKind(StrEnum):
    TOKENS = "tokens"
    USD = "usd"


class MeterReportStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


BUDGET_ALERT_THRESHOLDS: tuple[int, ...] = (50, 80, 100)
"""Percentages of a monthly budget at which an alert is raised (once per period)."""
