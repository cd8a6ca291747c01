"""Usage metering: request logs → an outbox of hourly reports → Stripe meter events, once.

    record_usage   sums each billed organization's closed hours from `request_logs` into
                   `meter_reports` (unique org + meter + hour), one row per meter:
                     llm_tokens_used     every token
                     llm_provider_cost   micro-USD of requests served with a platform key
                   An hour is closed `SETTLE_DELAY` after it ends, so ingestion has caught
                   up. Re-running is harmless: a report's quantity is refreshed only until
                   its first send attempt, after which it is frozen (a resend must carry
                   exactly what the first attempt carried), and hours up to the newest one
                   attempted are not read again. Usage ingested that late is not billed
                   automatically: the daily reconciliation flags it.
    send_reports   sends pending reports as v1 billing meter events (`/v1/billing/meter_events`),
                   each with the report's `identifier` (Stripe's meter-event dedup) and an
                   Idempotency-Key derived from it. The attempt is counted *before* the call,
                   so a worker killed mid-send leaves a pending report that the next run
                   resends with the same identifier and key: Stripe replays the first answer,
                   or refuses the duplicate identifier, and either way it is counted once.
                   Stripe remembers both for at least 24 hours; a report whose earlier
                   attempt is older than `STALE_ATTEMPT` is first looked up in the meter's
                   event summaries. An outage or rate limit stops the run and leaves the
                   rest pending: reporting is delayed, never lost or doubled.

Why v1 meter events and not the v2 meter event stream: reports are hourly aggregates
(a few per organization per hour), far below v1's rate limit, and v1 answers each
event synchronously, so a report is marked sent only once Stripe accepted it. The
v2 stream validates asynchronously and needs short-lived session tokens.

Which requests used a platform key: a request log whose `routing` JSON says
`"source": "byok"` (the credential source of the candidate that served it) was
served with the tenant's own provider key; every other request that reached a
provider (not answered from the cache) used the platform's, and its cost is
reported: when in doubt, RouterAI bills rather than pays. Tokens are reported for
every request, cache hits included.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import stripe
from sqlalchemy import Engine, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from stripe.params.billing import MeterEventCreateParams

from gateway.billing.catalog import CUSTOMER_PAYLOAD_KEY, VALUE_PAYLOAD_KEY, Meter
from gateway.billing.errors import is_transient
from gateway.db.enums import CacheStatus, MeterReportStatus
from gateway.db.models import MeterReport, Organization, RequestLog
from gateway.db.models.types import MicroUSD
from gateway.db.sessions import system_session, tenant_session

log = logging.getLogger("routerai.billing.metering")

HOUR = timedelta(hours=1)
SETTLE_DELAY = timedelta(minutes=10)
LOOKBACK = timedelta(hours=72)
STALE_ATTEMPT = timedelta(hours=20)
ROUTING_SOURCE_FIELD = "source"
BYOK_SOURCE = "byok"
PROVIDER_CALLED = (CacheStatus.MISS, CacheStatus.BYPASS)  # a cache hit cost no provider money
DUPLICATE_IDENTIFIER = "already exists with identifier"


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def report_identifier(org_id: uuid.UUID, meter: str, hour: datetime) -> str:
    """The meter event's identifier: the same for every attempt at one report (≤ 100 chars)."""
    return f"rai_{org_id.hex}_{meter}_{hour:%Y%m%d%H}"


def billed_orgs(engine: Engine) -> dict[uuid.UUID, str]:
    """Organizations with a Stripe customer (whose usage is reported), by id."""
    with system_session(engine) as session:
        rows = session.exec(
            select(Organization.id, Organization.stripe_customer_id).where(
                col(Organization.stripe_customer_id).is_not(None)
            )
        ).all()
    return {org_id: str(customer) for org_id, customer in rows}


# -- what RouterAI recorded -----------------------------------------------------------------


def _hour_index(session: Session) -> Any:
    """Hours since the epoch of `request_logs.created_at`, in SQL (UTC on both databases)."""
    created = col(RequestLog.created_at)
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(func.floor(func.extract("epoch", created) / 3600), sa.BigInteger)
    return sa.cast(func.strftime("%s", created), sa.Integer) // 3600


def _measures() -> tuple[Any, Any]:
    tokens = func.coalesce(func.sum(col(RequestLog.total_tokens)), 0)
    source = col(RequestLog.routing)[ROUTING_SOURCE_FIELD].as_string()
    platform = (
        col(RequestLog.provider).is_not(None)
        & col(RequestLog.cache_status).in_(PROVIDER_CALLED)
        & (func.coalesce(source, "platform") != BYOK_SOURCE)
    )
    cost = sa.type_coerce(
        func.coalesce(func.sum(sa.case((platform, col(RequestLog.cost)), else_=0)), 0), MicroUSD()
    )
    return tokens, cost


def usage_by_hour(
    session: Session, org_id: uuid.UUID, start: datetime, end: datetime
) -> dict[datetime, dict[Meter, int]]:
    """Per hour in [start, end): tokens and platform-key cost (session scoped to `org_id`)."""
    hour = _hour_index(session)
    tokens, cost = _measures()
    statement = (
        sa.select(hour, tokens, cost)
        .where(col(RequestLog.org_id) == org_id)
        .where(col(RequestLog.created_at) >= start, col(RequestLog.created_at) < end)
        .group_by(hour)
    )
    return {
        datetime.fromtimestamp(int(index) * 3600, UTC): {
            Meter.TOKENS: int(hour_tokens),
            Meter.PROVIDER_COST: int(hour_cost),
        }
        for index, hour_tokens, hour_cost in session.execute(statement)
    }


def usage_totals(
    session: Session, org_id: uuid.UUID, start: datetime, end: datetime
) -> dict[Meter, int]:
    """Tokens and platform-key cost over [start, end) (session scoped to `org_id`)."""
    tokens, cost = _measures()
    statement = (
        sa.select(tokens, cost)
        .where(col(RequestLog.org_id) == org_id)
        .where(col(RequestLog.created_at) >= start, col(RequestLog.created_at) < end)
    )
    total_tokens, total_cost = session.execute(statement).one()
    return {Meter.TOKENS: int(total_tokens), Meter.PROVIDER_COST: int(total_cost)}


# -- the outbox -----------------------------------------------------------------------------


def record_usage(
    engine: Engine,
    *,
    now: datetime,
    lookback: timedelta = LOOKBACK,
    settle: timedelta = SETTLE_DELAY,
) -> int:
    """Write (or refresh, until first sent) every closed hour's reports; returns rows offered."""
    end = hour_floor(now - settle)
    offered = 0
    for org_id in billed_orgs(engine):
        with tenant_session(engine, org_id) as session:
            start = _first_open_hour(session, org_id, end - lookback)
            if start >= end:
                continue
            rows = [
                {
                    "org_id": org_id,
                    "meter": meter.value,
                    "hour": hour,
                    "quantity": quantity,
                    "identifier": report_identifier(org_id, meter.value, hour),
                }
                for hour, usage in usage_by_hour(session, org_id, start, end).items()
                for meter, quantity in usage.items()
                if quantity > 0
            ]
            if rows:
                session.execute(_upsert(session), rows)
            offered += len(rows)
    return offered


def _first_open_hour(session: Session, org_id: uuid.UUID, earliest: datetime) -> datetime:
    """The first hour worth summing: reports are sent oldest first, so every hour up to the
    newest one already attempted is frozen, and re-reading its logs would change nothing."""
    statement = select(func.max(MeterReport.hour)).where(
        MeterReport.org_id == org_id, col(MeterReport.attempts) > 0
    )
    frozen = session.exec(statement).one()
    return earliest if frozen is None else max(earliest, frozen + HOUR)


def _upsert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MeterReport)
    unsent = (col(MeterReport.attempts) == 0) & (
        col(MeterReport.status) == MeterReportStatus.PENDING
    )
    return statement.on_conflict_do_update(
        index_elements=["org_id", "meter", "hour"],
        set_={"quantity": statement.excluded.quantity},
        where=unsent & (col(MeterReport.quantity) != statement.excluded.quantity),
    )


# -- sending --------------------------------------------------------------------------------


@dataclass
class SendSummary:
    """What one sending run did; `deferred` reports wait for Stripe to come back."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


class _StripeDown(Exception):
    pass


def send_reports(
    engine: Engine, client: stripe.StripeClient, *, now: datetime, limit: int = 1000
) -> SendSummary:
    """Send pending reports (oldest hour first, at most `limit`); see the module docstring."""
    summary = SendSummary()
    sender = _Sender(engine, client, now)
    pending = [
        (report, customer)
        for org_id, customer in billed_orgs(engine).items()
        for report in pending_reports(engine, org_id, limit)
    ]
    pending.sort(key=lambda item: item[0].hour)
    for index, (report, customer) in enumerate(pending[:limit]):
        try:
            outcome = sender.send(report, customer)
        except _StripeDown as exc:
            summary.deferred = len(pending[:limit]) - index
            summary.errors.append(str(exc))
            log.warning("Stripe unavailable, %d meter reports deferred: %s", summary.deferred, exc)
            break
        if outcome is None:
            summary.sent += 1
        else:
            summary.failed += 1
            summary.errors.append(outcome)
    return summary


def pending_reports(engine: Engine, org_id: uuid.UUID, limit: int) -> list[MeterReport]:
    with tenant_session(engine, org_id) as session:
        statement = (
            select(MeterReport)
            .where(MeterReport.org_id == org_id, MeterReport.status == MeterReportStatus.PENDING)
            .order_by(col(MeterReport.hour))
            .limit(limit)
        )
        return list(session.exec(statement).all())


class _Sender:
    def __init__(self, engine: Engine, client: stripe.StripeClient, now: datetime) -> None:
        self._engine = engine
        self._client = client
        self._now = now
        self._meter_ids: dict[str, str] | None = None

    def send(self, report: MeterReport, customer: str) -> str | None:
        """Deliver one report; None when Stripe has it, else why it failed for good."""
        stale = report.attempts > 0 and self._now - report.created_at >= STALE_ATTEMPT
        if stale and self._already_in_stripe(report, customer):
            self._mark(report, MeterReportStatus.SENT)
            return None
        self._count_attempt(report)
        try:
            self._client.v1.billing.meter_events.create(
                meter_event(report, customer),
                {"idempotency_key": f"meter-{report.identifier}"},
            )
        except stripe.InvalidRequestError as exc:
            if DUPLICATE_IDENTIFIER not in (exc.user_message or ""):
                self._mark(report, MeterReportStatus.FAILED)
                log.error("meter report %s refused by Stripe: %s", report.identifier, exc)
                return f"{report.identifier}: {exc.user_message}"
        except stripe.StripeError as exc:
            if is_transient(exc):
                raise _StripeDown(str(exc)) from exc
            raise
        self._mark(report, MeterReportStatus.SENT)
        return None

    def _count_attempt(self, report: MeterReport) -> None:
        with tenant_session(self._engine, report.org_id) as session:
            session.execute(
                sa.update(MeterReport)
                .where(col(MeterReport.id) == report.id)
                .values(attempts=col(MeterReport.attempts) + 1)
            )

    def _mark(self, report: MeterReport, status: MeterReportStatus) -> None:
        sent_at = self._now if status is MeterReportStatus.SENT else None
        with tenant_session(self._engine, report.org_id) as session:
            session.execute(
                sa.update(MeterReport)
                .where(col(MeterReport.id) == report.id)
                .values(status=status, sent_at=sent_at)
            )

    def _already_in_stripe(self, report: MeterReport, customer: str) -> bool:
        meter_id = self._meter_id(report.meter)
        hour = report.hour
        return stripe_total(self._client, meter_id, customer, hour, hour + HOUR) > 0

    def _meter_id(self, event_name: str) -> str:
        if self._meter_ids is None:
            self._meter_ids = meter_ids(self._client)
        return self._meter_ids[event_name]


def meter_event(report: MeterReport, customer: str) -> MeterEventCreateParams:
    """The meter event of a report, timestamped at the last second of its hour."""
    return {
        "event_name": report.meter,
        "identifier": report.identifier,
        "timestamp": int((report.hour + HOUR).timestamp()) - 1,
        "payload": {CUSTOMER_PAYLOAD_KEY: customer, VALUE_PAYLOAD_KEY: str(report.quantity)},
    }


def meter_ids(client: stripe.StripeClient) -> dict[str, str]:
    """Active meters' ids by event name."""
    meters = client.v1.billing.meters.list({"status": "active", "limit": 100})
    return {meter.event_name: meter.id for meter in meters.auto_paging_iter()}


def _summaries(
    client: stripe.StripeClient, meter_id: str, customer: str, start: datetime, end: datetime
) -> Iterator[Any]:
    window = {"start_time": int(start.timestamp()), "end_time": int(end.timestamp())}
    page = client.v1.billing.meters.event_summaries.list(
        meter_id,
        {"customer": customer, **window},  # type: ignore[typeddict-item]
    )
    yield from page.auto_paging_iter()


def stripe_total(
    client: stripe.StripeClient, meter_id: str, customer: str, start: datetime, end: datetime
) -> int:
    """What Stripe's meter summaries hold for `customer` over [start, end)."""
    summaries = _summaries(client, meter_id, customer, start, end)
    return round(sum(summary.aggregated_value for summary in summaries))
