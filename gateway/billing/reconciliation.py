"""Daily reconciliation: RouterAI's recorded usage against Stripe's meter event summaries.

For every organization with a Stripe customer and each meter, the usage in
`request_logs` over a period is compared with what Stripe aggregated for that
customer over the same period. A difference over 0.1 % (or any usage on one side
only) raises an alert: logged at ERROR on `routerai.billing.reconciliation`, and kept
in Redis (`gw:billing:reconciliation`) for the admin view until a later run of
the same period agrees. Each alert counts the reports still unsent, which is the
usual cause after a Stripe outage.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

import orjson
import redis
import stripe
from sqlalchemy import Engine, func
from sqlmodel import col, select

from gateway.billing.catalog import Meter
from gateway.billing.metering import billed_orgs, meter_ids, stripe_total, usage_totals
from gateway.db.enums import MeterReportStatus
from gateway.db.models import MeterReport
from gateway.db.sessions import tenant_session

log = logging.getLogger("routerai.billing.reconciliation")

TOLERANCE = Fraction(1, 1000)
ALERTS_KEY = "gw:billing:reconciliation"


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One organization's meter disagreeing with Stripe over [start, end)."""

    org_id: str
    customer: str
    meter: str
    start: datetime
    end: datetime
    recorded: int
    in_stripe: int
    unsent_reports: int

    @property
    def field(self) -> str:
        return alert_field(self.org_id, self.meter, self.start)

    @property
    def message(self) -> str:
        gap = self.recorded - self.in_stripe
        share = f"{abs(gap) / self.recorded:.2%}" if self.recorded else "all"
        return (
            f"org {self.org_id} ({self.customer}) {self.meter} {self.start:%Y-%m-%d %H:%M}"
            f" to {self.end:%Y-%m-%d %H:%M} UTC: RouterAI recorded {self.recorded}, Stripe has "
            f"{self.in_stripe} ({share} {'missing from' if gap > 0 else 'extra in'} Stripe); "
            f"{self.unsent_reports} report(s) not yet sent"
        )

    def to_json(self) -> bytes:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Discrepancy:
        data: dict[str, Any] = orjson.loads(raw)
        data["start"] = datetime.fromisoformat(data["start"])
        data["end"] = datetime.fromisoformat(data["end"])
        return cls(**data)


@dataclass
class Reconciliation:
    start: datetime
    end: datetime
    checked: list[tuple[str, str]] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.discrepancies


def differs(recorded: int, in_stripe: int, tolerance: Fraction = TOLERANCE) -> bool:
    """Whether Stripe's total is more than `tolerance` (relative) away from RouterAI's."""
    return abs(recorded - in_stripe) > tolerance * recorded


def alert_field(org_id: str, meter: str, start: datetime) -> str:
    return f"{org_id}:{meter}:{start.isoformat()}"


def reconcile(
    engine: Engine, client: stripe.StripeClient, *, start: datetime, end: datetime
) -> Reconciliation:
    """Compare every billed organization's meters over [start, end) with Stripe's summaries."""
    result = Reconciliation(start, end)
    ids = meter_ids(client)
    for org_id, customer in billed_orgs(engine).items():
        with tenant_session(engine, org_id) as session:
            recorded = usage_totals(session, org_id, start, end)
        for meter in Meter:
            in_stripe = stripe_total(client, ids[meter], customer, start, end)
            result.checked.append((str(org_id), meter.value))
            if differs(recorded[meter], in_stripe):
                unsent = _unsent(engine, org_id, meter, start, end)
                result.discrepancies.append(
                    Discrepancy(
                        str(org_id), customer, meter.value, start, end,
                        recorded[meter], in_stripe, unsent,
                    )
                )  # fmt: skip
    return result


def _unsent(engine: Engine, org_id: uuid.UUID, meter: Meter, start: datetime, end: datetime) -> int:
    with tenant_session(engine, org_id) as session:
        statement = select(func.count()).where(
            MeterReport.org_id == org_id,
            MeterReport.meter == meter.value,
            col(MeterReport.hour) >= start,
            col(MeterReport.hour) < end,
            MeterReport.status != MeterReportStatus.SENT,
        )
        return int(session.exec(statement).one())


class AlertStore:
    """Reconciliation alerts in Redis: raised by a disagreeing run, cleared by an agreeing one."""

    def __init__(self, client: redis.Redis, key: str = ALERTS_KEY) -> None:
        self._client = client
        self._key = key

    def record(self, result: Reconciliation) -> None:
        """Log and keep `result`'s discrepancies; clear the period's pairs that now agree."""
        bad = {d.field for d in result.discrepancies}
        agreeing = [
            alert_field(org, meter, result.start)
            for org, meter in result.checked
            if alert_field(org, meter, result.start) not in bad
        ]
        if agreeing:
            self._client.hdel(self._key, *agreeing)
        for discrepancy in result.discrepancies:
            log.error("billing reconciliation: %s", discrepancy.message)
            self._client.hset(self._key, discrepancy.field, discrepancy.to_json().decode())
        log.info(
            "billing reconciliation %s to %s: %d meter(s) checked, %d discrepancy(ies)",
            result.start.isoformat(),
            result.end.isoformat(),
            len(result.checked),
            len(result.discrepancies),
        )

    def alerts(self) -> list[Discrepancy]:
        """Open alerts, oldest period first (for the admin view)."""
        raw: Any = self._client.hvals(self._key)
        found = [Discrepancy.from_json(value) for value in raw]
        return sorted(found, key=lambda d: (d.start, d.org_id, d.meter))
