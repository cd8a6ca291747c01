"""The organization: the tenant, with its plan, budgets, routing and cache settings."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.billing.plans import PlanName
from gateway.db.enums import PlanStatus, RoutingStrategy
from gateway.db.models.base import new_id, utcnow
from gateway.db.models.types import JSONType, MicroUSD, StrEnumType, UTCDateTime, enum_check
from gateway.db.slugs import SLUG_MAX_LENGTH
from gateway.pricing.catalog import REFERENCE_MODEL

DEFAULT_ROUTING_WEIGHTS: dict[str, float] = {"cost": 0.40, "quality": 0.35, "latency": 0.25}


def default_routing_weights() -> dict[str, float]:
    """A fresh copy of the balanced strategy's weights."""
    return dict(DEFAULT_ROUTING_WEIGHTS)


class Organization(SQLModel, table=True):
    """A tenant. Not row-level secured: it is looked up (by slug) before a tenant is known.

    JSON columns are replaced, not mutated in place: assign a new dict or list
    so the change is seen and saved.
    """

    __tablename__ = "organizations"
    __table_args__ = (
        enum_check("plan", PlanName),
        enum_check("plan_status", PlanStatus),
        enum_check("routing_strategy", RoutingStrategy),
        sa.CheckConstraint("budget_reset_day BETWEEN 1 AND 28", name="budget_reset_day"),
        sa.CheckConstraint("cache_threshold BETWEEN 0 AND 1", name="cache_threshold"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_type=sa.String(100))
    slug: str = Field(sa_type=sa.String(SLUG_MAX_LENGTH), unique=True)

    plan: PlanName = Field(default=PlanName.FREE, sa_type=StrEnumType(PlanName))
    plan_status: PlanStatus = Field(default=PlanStatus.ACTIVE, sa_type=StrEnumType(PlanStatus))
    past_due_since: datetime | None = Field(default=None, sa_type=UTCDateTime())

    monthly_token_budget: int | None = Field(default=None, sa_type=sa.BigInteger())
    monthly_usd_budget: int | None = Field(default=None, sa_type=MicroUSD())
    budget_reset_day: int = Field(default=1, sa_type=sa.SmallInteger())
    budget_reset_at: datetime = Field(sa_type=UTCDateTime())

    routing_strategy: RoutingStrategy = Field(
        default=RoutingStrategy.BALANCED, sa_type=StrEnumType(RoutingStrategy)
    )
    routing_weights: dict[str, float] = Field(
        default_factory=default_routing_weights, sa_type=JSONType
    )
    prefer_local: bool = False
    baseline_model: str = Field(default=REFERENCE_MODEL, sa_type=sa.String(128))
    allowed_providers: list[str] | None = Field(default=None, sa_type=JSONType)
    allowed_models: list[str] | None = Field(default=None, sa_type=JSONType)

    cache_enabled: bool = True
    cache_threshold: float = 0.92
    cache_ttl_s: int = 86_400
    cache_max_temperature: float = 0.7

    notification_webhook_url: str | None = Field(default=None, sa_type=sa.String(2048))
    # Percentages of a monthly budget that raise an alert; None means the defaults.
    alert_thresholds: list[int] | None = Field(default=None, sa_type=JSONType)
    rpm_limit: int | None = None
    tpm_limit: int | None = None

    stripe_customer_id: str | None = Field(default=None, sa_type=sa.String(255), unique=True)
    stripe_subscription_id: str | None = Field(default=None, sa_type=sa.String(255), unique=True)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime(), sa_column_kwargs={"onupdate": utcnow}
    )
