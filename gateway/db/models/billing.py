"""What billing keeps: Stripe events already processed, and usage reported to Stripe meters."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.db.enums import MeterReportStatus
from gateway.db.models.base import utcnow
from gateway.db.models.types import BIGINT_PK, StrEnumType, UTCDateTime, enum_check


class StripeEvent(SQLModel, table=True):
    """A Stripe webhook event, keyed by Stripe's own id so redeliveries are recognised.

    Not row-level secured: the event names a Stripe customer, and the tenant is
    only known after looking that customer up.
    """

    __tablename__ = "stripe_events"

    id: str = Field(primary_key=True, sa_type=sa.String(255))
    type: str = Field(sa_type=sa.String(128))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class MeterReport(SQLModel, table=True):
    """One hour of one meter's usage for one organization, reported to Stripe once.

    `identifier` is the idempotency identifier sent to Stripe, so a retried
    report can never be counted twice.
    """

    __tablename__ = "meter_reports"
    __table_args__ = (
        sa.UniqueConstraint("org_id", "meter", "hour"),
        enum_check("status", MeterReportStatus),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIGINT_PK)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    meter: str = Field(sa_type=sa.String(64))
    hour: datetime = Field(sa_type=UTCDateTime())
    quantity: int = Field(default=0, sa_type=sa.BigInteger())
    identifier: str = Field(sa_type=sa.String(255), unique=True)
    status: MeterReportStatus = Field(
        default=MeterReportStatus.PENDING, sa_type=StrEnumType(MeterReportStatus)
    )
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
