"""Every table round-trips on both databases: money exact, times aware UTC, JSON intact."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import col, select

from gateway.billing.plans import PlanName
from gateway.db.enums import (
    BudgetKind,
    CacheStatus,
    KeyEnvironment,
    MemberRole,
    MeterReportStatus,
    PlanStatus,
    RoutingStrategy,
)
from gateway.db.models import (
    DEFAULT_ROUTING_WEIGHTS,
    ApiKey,
    BudgetAlert,
    MeterReport,
    Organization,
    OrgMember,
    ProviderCredential,
    RequestLog,
    StripeEvent,
    UsageDaily,
    User,
)
from gateway.db.sessions import system_session, tenant_session
from gateway.pricing.catalog import REFERENCE_MODEL

MakeOrg = Callable[..., Organization]
AWKWARD_MICROS = [0, 1, 999_999, 1_000_001, 123_456_789_012, 999_999_999_999_999]


def test_organization_defaults(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org("Defaults Inc")
    with system_session(engine) as session:
        loaded = session.get(Organization, org.id)
        assert loaded is not None
        assert loaded.plan is PlanName.FREE
        assert loaded.plan_status is PlanStatus.ACTIVE
        assert loaded.routing_strategy is RoutingStrategy.BALANCED
        assert loaded.routing_weights == DEFAULT_ROUTING_WEIGHTS
        assert loaded.baseline_model == REFERENCE_MODEL
        assert loaded.allowed_providers is None and loaded.allowed_models is None
        assert (loaded.cache_enabled, loaded.cache_threshold) == (True, 0.92)
        assert (loaded.cache_ttl_s, loaded.cache_max_temperature) == (86_400, 0.7)
        assert loaded.created_at.tzinfo is UTC
        assert loaded.budget_reset_at > loaded.created_at


def test_absent_json_is_sql_null(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org("Nulls Inc")
    with tenant_session(engine, org.id) as session:
        session.add(_request_log(org.id))
    with system_session(engine) as session:
        statement = select(Organization.id).where(col(Organization.allowed_providers).is_(None))
        assert session.exec(statement).all() == [org.id]
    with tenant_session(engine, org.id) as session:
        statement = select(RequestLog.id).where(col(RequestLog.routing).is_(None))
        assert len(session.exec(statement).all()) == 1


def test_organization_settings_round_trip(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org("Settings Inc", plan="growth")
    paris = timezone(timedelta(hours=1))
    with system_session(engine) as session:
        row = session.get(Organization, org.id)
        assert row is not None
        row.plan_status = PlanStatus.PAST_DUE
        row.past_due_since = datetime(2026, 11, 3, 13, 30, tzinfo=paris)
        row.monthly_token_budget = 5_000_000_000
        row.monthly_usd_budget = 1_234_567_890
        row.routing_strategy = RoutingStrategy.CUSTOM
        row.routing_weights = {"cost": 0.7, "quality": 0.2, "latency": 0.1}
        row.allowed_providers = ["openai", "anthropic"]
        row.allowed_models = []
        row.stripe_customer_id = "cus_123"
        session.add(row)
    with system_session(engine) as session:
        loaded = session.get(Organization, org.id)
        assert loaded is not None
        assert loaded.plan is PlanName.GROWTH
        assert loaded.past_due_since == datetime(2026, 11, 3, 12, 30, tzinfo=UTC)
        assert loaded.past_due_since.tzinfo is UTC
        assert loaded.monthly_token_budget == 5_000_000_000
        assert loaded.monthly_usd_budget == 1_234_567_890
        assert loaded.routing_weights == {"cost": 0.7, "quality": 0.2, "latency": 0.1}
        assert loaded.allowed_providers == ["openai", "anthropic"]
        assert loaded.allowed_models == []
        assert loaded.updated_at >= loaded.created_at


@pytest.mark.parametrize("micros", AWKWARD_MICROS)
def test_money_is_exact_to_the_micro_dollar(engine: Engine, make_org: MakeOrg, micros: int) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        session.add(_request_log(org.id, cost=micros, baseline_cost=micros + 1))
    with tenant_session(engine, org.id) as session:
        log = session.exec(select(RequestLog)).one()
        assert (log.cost, log.baseline_cost) == (micros, micros + 1)
        assert isinstance(log.cost, int)


def test_money_sums_stay_exact(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    costs = [100_000, 200_000, 700_001, 3]  # 0.1 + 0.2 + 0.700001 + 0.000003 dollars
    with tenant_session(engine, org.id) as session:
        session.add_all(_request_log(org.id, cost=c) for c in costs)
    with tenant_session(engine, org.id) as session:
        total = session.exec(select(func.sum(RequestLog.cost))).one()
    assert total == sum(costs)


def test_naive_datetimes_are_refused(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with pytest.raises(StatementError, match="naive datetime"):  # noqa: SIM117
        with tenant_session(engine, org.id) as session:
            session.add(_request_log(org.id, created_at=datetime(2026, 1, 1)))


def test_people_and_keys_round_trip(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with system_session(engine) as session:
        user = User(email="ada@example.com", github_id=2**40, display_name="Ada")
        session.add(user)
    with tenant_session(engine, org.id) as session:
        session.add(OrgMember(org_id=org.id, user_id=user.id, role=MemberRole.ADMIN))
        key = ApiKey(
            org_id=org.id,
            name="ci",
            environment=KeyEnvironment.DEV,
            prefix="gw_acme_dev_abcd…",
            key_hash="a" * 64,
            created_by=user.id,
            rpm_limit=60,
        )
        session.add(key)
        secret = bytes(range(256))
        session.add(
            ProviderCredential(
                org_id=org.id, provider="openai", encrypted_secret=secret, last_four="wxyz"
            )
        )
    with tenant_session(engine, org.id) as session:
        member = session.exec(select(OrgMember)).one()
        assert (member.user_id, member.role) == (user.id, MemberRole.ADMIN)
        loaded_key = session.exec(select(ApiKey)).one()
        assert loaded_key.environment is KeyEnvironment.DEV
        assert (loaded_key.created_by, loaded_key.rpm_limit, loaded_key.tpm_limit) == (
            user.id,
            60,
            None,
        )
        assert loaded_key.is_active
        credential = session.exec(select(ProviderCredential)).one()
        assert credential.encrypted_secret == secret
    with system_session(engine) as session:
        loaded_user = session.get(User, user.id)
        assert loaded_user is not None
        assert (loaded_user.github_id, loaded_user.password_hash) == (2**40, None)


def test_request_log_round_trip(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    routing = {"decision": {"provider": "groq", "score": 0.81}, "fallbacks": ["openai"]}
    when = datetime(2026, 11, 30, 23, 59, 59, 999_999, tzinfo=UTC)
    with tenant_session(engine, org.id) as session:
        session.add(
            _request_log(
                org.id,
                created_at=when,
                ttfb_ms=42,
                cache_status=CacheStatus.SEMANTIC,
                cache_similarity=0.953,
                streamed=True,
                routing=routing,
                status_code=200,
            )
        )
    with tenant_session(engine, org.id) as session:
        log = session.exec(select(RequestLog)).one()
        assert isinstance(log.id, int)
        assert log.created_at == when
        assert log.cache_status is CacheStatus.SEMANTIC
        assert (log.ttfb_ms, log.cache_similarity, log.streamed) == (42, 0.953, True)
        assert log.routing == routing


def test_usage_budget_and_billing_rows_round_trip(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    hour = datetime(2026, 11, 5, 14, tzinfo=UTC)
    with tenant_session(engine, org.id) as session:
        session.add(
            UsageDaily(
                org_id=org.id,
                day=date(2026, 11, 5),
                requests=3,
                total_tokens=9_000_000_000,
                cost=2_500_001,
                baseline_cost=9_000_000,
                cache_hits=1,
                cache_misses=2,
                by_provider={"openai": {"requests": 3, "cost": 2_500_001}},
                by_model={"gpt-4o-mini": {"requests": 3}},
            )
        )
        session.add(BudgetAlert(org_id=org.id, period="2026-11", kind=BudgetKind.USD, threshold=80))
        session.add(
            MeterReport(
                org_id=org.id,
                meter="tokens",
                hour=hour,
                quantity=2**40,
                identifier=f"{org.id}:tokens:{hour.isoformat()}",
            )
        )
    with system_session(engine) as session:
        session.add(StripeEvent(id="evt_1", type="invoice.paid"))
    with tenant_session(engine, org.id) as session:
        usage = session.exec(select(UsageDaily)).one()
        assert (usage.day, usage.total_tokens, usage.cost) == (
            date(2026, 11, 5),
            9_000_000_000,
            2_500_001,
        )
        assert usage.by_provider == {"openai": {"requests": 3, "cost": 2_500_001}}
        alert = session.exec(select(BudgetAlert)).one()
        assert (alert.kind, alert.threshold, alert.attempts) == (BudgetKind.USD, 80, 0)
        report = session.exec(select(MeterReport)).one()
        assert (report.hour, report.quantity) == (hour, 2**40)
        assert report.status is MeterReportStatus.PENDING
    with system_session(engine) as session:
        event = session.get(StripeEvent, "evt_1")
        assert event is not None and event.processed_at is None


def test_usage_daily_is_unique_per_org_and_day(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with pytest.raises(IntegrityError):  # noqa: SIM117
        with tenant_session(engine, org.id) as session:
            session.add(UsageDaily(org_id=org.id, day=date(2026, 1, 1)))
            session.flush()
            session.add(UsageDaily(org_id=org.id, day=date(2026, 1, 1)))


def test_budget_alert_thresholds_are_checked(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with pytest.raises(IntegrityError):  # noqa: SIM117
        with tenant_session(engine, org.id) as session:
            session.add(
                BudgetAlert(org_id=org.id, period="2026-11", kind=BudgetKind.TOKENS, threshold=101)
            )


def test_unknown_enum_values_are_refused(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with pytest.raises(StatementError):  # noqa: SIM117
        with system_session(engine) as session:
            row = session.get(Organization, org.id)
            assert row is not None
            row.plan = "platinum"  # type: ignore[assignment]
            session.add(row)


def test_deleting_an_organization_deletes_its_rows(engine: Engine, make_org: MakeOrg) -> None:
    org, other = make_org("Gone"), make_org("Stays")
    for owner in (org, other):
        with tenant_session(engine, owner.id) as session:
            session.add(_request_log(owner.id))
    with system_session(engine) as session:
        row = session.get(Organization, org.id)
        session.delete(row)
    with tenant_session(engine, other.id) as session:  # no RLS on SQLite: filter explicitly
        remaining = session.exec(select(RequestLog.org_id)).all()
    assert remaining == [other.id]


def _request_log(org_id: uuid.UUID, **values: object) -> RequestLog:
    fields: dict[str, object] = {
        "request_id": f"req_{uuid.uuid4().hex}",
        "org_id": org_id,
        "provider": "openai",
        "model_requested": "auto",
        "model_used": "gpt-4o-mini",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "latency_ms": 120,
    }
    fields.update(values)
    return RequestLog(**fields)  # type: ignore[arg-type]
