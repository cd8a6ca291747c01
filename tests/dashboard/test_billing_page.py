"""The billing page's service: figures, budgets (with alerts at the org's thresholds), Stripe."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import redis
import redis.asyncio as aioredis
import stripe
from sqlalchemy import Engine

from gateway.analytics.alerts import alert_thresholds, raise_budget_alerts, thresholds_reached
from gateway.auth.permissions import Actor, PermissionDenied
from gateway.billing.client import stripe_client
from gateway.billing.errors import BillingError, NoBillingAccount
from gateway.billing.plans import PLANS, PlanName
from gateway.billing.sync import sync_catalog
from gateway.budget.period import budget_period
from gateway.dashboard.billing import (
    BillingService,
    BudgetSettings,
    InvoiceEstimate,
    estimate_invoice,
    project,
)
from gateway.dashboard.keys import KeyManager
from gateway.db.enums import BUDGET_ALERT_THRESHOLDS, BudgetKind, MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.db.users import create_user
from gateway.security.urls import UnsafeURL
from gateway.settings import Settings
from gateway.tenancy.keys import hash_api_key
from gateway.tenancy.loader import DatabaseTenantLoader
from gateway.tenancy.resolver import TenantResolver, tenant_cache_key
from tests.billing.fake_stripe import FakeStripe
from tests.dashboard.conftest import NOW

MakeOrg = Callable[..., Organization]
PUBLIC_IP = "93.184.216.34"
MICRO = 1_000_000


def resolver_to(address: str) -> Callable[[str, int], list[str]]:
    return lambda host, port: [address]


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def settings(fake_stripe: FakeStripe) -> Settings:
    return Settings(
        ROUTERAI_ENV="test",
        STRIPE_SECRET_KEY=fake_stripe.api_key,
        STRIPE_API_BASE=fake_stripe.url,
        ROUTERAI_PUBLIC_URL="https://app.routerai.test",
    )


@pytest.fixture
def stripe_sdk(settings: Settings) -> stripe.StripeClient:
    client = stripe_client(settings, max_network_retries=0)
    sync_catalog(client)
    return client


@pytest.fixture
def billing(
    engine: Engine, async_redis: aioredis.Redis, settings: Settings, stripe_sdk: stripe.StripeClient
) -> BillingService:
    return BillingService(
        engine, async_redis, settings, client=lambda: stripe_sdk, resolver=resolver_to(PUBLIC_IP)
    )


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.OWNER) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


def reload(engine: Engine, org: Organization) -> Organization:
    with system_session(engine) as session:
        row = session.get(Organization, org.id)
    assert row is not None
    return row


# -- figures (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "tokens", "platform_cost", "expected"),
    [
        # Starter: $29, 1M included, $30 per million beyond: 0.5M over = $15.
        (
            PlanName.STARTER,
            1_500_000,
            2 * MICRO,
            InvoiceEstimate(29 * MICRO, 500_000, 15 * MICRO, 2 * MICRO),
        ),
        (PlanName.STARTER, 999_999, 0, InvoiceEstimate(29 * MICRO, 0, 0, 0)),
        # Growth: $99, 10M included, $10 per million: 2.5M over = $25.
        (PlanName.GROWTH, 12_500_000, 0, InvoiceEstimate(99 * MICRO, 2_500_000, 25 * MICRO, 0)),
        # Free bills nothing, whatever the usage; Enterprise has no metered tokens.
        (PlanName.FREE, 5_000_000, 3 * MICRO, InvoiceEstimate(0, 0, 0, 0)),
        (PlanName.ENTERPRISE, 10**9, 0, InvoiceEstimate(999 * MICRO, 0, 0, 0)),
    ],
)
def test_invoice_estimate(
    plan: PlanName, tokens: int, platform_cost: int, expected: InvoiceEstimate
) -> None:
    estimate = estimate_invoice(PLANS[plan], tokens=tokens, platform_cost=platform_cost)
    assert estimate == expected
    assert estimate.total == expected.flat + expected.overage + expected.provider_cost


def test_projection_extrapolates_to_the_period_end() -> None:
    period = budget_period(NOW, 1)  # Nov 1 - Dec 1: 30 days
    assert project(1000, period, datetime(2026, 11, 16, tzinfo=UTC)) == 2000
    assert project(1000, period, datetime(2026, 11, 11, tzinfo=UTC)) == 3000
    assert project(0, period, NOW) == 0
    # Minutes into a period, the first hour stands for the elapsed time.
    assert project(10, period, datetime(2026, 11, 1, 0, 5, tzinfo=UTC)) == 10 * 24 * 30
    assert project(10, period, datetime(2026, 12, 1, tzinfo=UTC)) == 10


def test_budget_form_parsing() -> None:
    parsed = BudgetSettings.parse(
        token_budget="2,000,000", usd_budget="$49.50", thresholds="90, 50%, 50", webhook_url=" "
    )
    assert parsed == BudgetSettings(2_000_000, 49_500_000, (50, 90), None)
    empty = BudgetSettings.parse(token_budget="", usd_budget="", thresholds="", webhook_url="")
    assert empty == BudgetSettings(None, None, None, None)
    assert empty.effective_thresholds == BUDGET_ALERT_THRESHOLDS
    for field, value in [
        ("token_budget", "-5"),
        ("token_budget", "1.5"),
        ("usd_budget", "ten"),
        ("usd_budget", "0"),
        ("usd_budget", "1.005"),
        ("thresholds", "0, 50"),
        ("thresholds", "50, 120"),
        ("thresholds", "fifty"),
        ("thresholds", "10,20,30,40,50,60,70"),
    ]:
        form = {"token_budget": "", "usd_budget": "", "thresholds": "", "webhook_url": ""}
        form[field] = value
        with pytest.raises(ValueError):
            BudgetSettings.parse(**form)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("usd_budget", "1e308", "an amount in dollars"),
        ("usd_budget", "1E3", "an amount in dollars"),
        ("usd_budget", "NaN", "an amount in dollars"),
        ("usd_budget", "Infinity", "an amount in dollars"),
        ("usd_budget", "\u0663", "an amount in dollars"),  # an Arabic-Indic three
        ("usd_budget", "9" * 40, "at most $999,999,999.99"),
        ("usd_budget", "9" * 5000, "at most $999,999,999.99"),
        ("usd_budget", "1000000000", "at most $999,999,999.99"),
        ("usd_budget", ".", "an amount in dollars"),
        ("token_budget", "99999999999999999999999", "at most 1,000,000,000,000,000 tokens"),
        ("token_budget", "9" * 5000, "at most 1,000,000,000,000,000 tokens"),
        ("token_budget", "\u00b2", "a whole number of tokens"),  # a superscript two
        ("token_budget", "1e9", "a whole number of tokens"),
        ("thresholds", "50, \u00b2", "whole percentages"),
        ("thresholds", "9" * 5000, "from 1 to 100"),
    ],
)
def test_budgets_too_large_or_malformed_get_a_message_not_an_exception(
    field: str, value: str, message: str
) -> None:
    form = {"token_budget": "", "usd_budget": "", "thresholds": "", "webhook_url": ""}
    form[field] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        BudgetSettings.parse(**form)


LARGEST = {
    "token_budget": "1,000,000,000,000,000",
    "usd_budget": "$999,999,999.99",
    "thresholds": "100",
    "webhook_url": "",
}


def test_budgets_at_their_largest_are_accepted() -> None:
    largest = BudgetSettings.parse(**LARGEST)
    assert largest == BudgetSettings(10**15, 999_999_999_990_000, (100,), None)
    assert BudgetSettings.parse(
        token_budget="", usd_budget="49.500", thresholds="", webhook_url=""
    ) == BudgetSettings(None, 49_500_000, None, None)


# -- alerts at the organization's thresholds ------------------------------------------------


def test_alerts_use_the_organizations_thresholds(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: MakeOrg,
    add_day: Callable[..., None],
) -> None:
    custom = make_org("Custom")
    default = make_org("Default")
    with system_session(engine) as session:
        for org, thresholds in ((custom, [25, 90]), (default, None)):
            row = session.get(Organization, org.id)
            assert row is not None
            row.monthly_token_budget = 1000
            row.alert_thresholds = thresholds
            session.add(row)
    for org in (custom, default):
        add_day(org, date(2026, 11, 20), requests=5)  # 600 tokens: 60 % of the budget

    raised = raise_budget_alerts(engine, redis_client, org_ids=[custom.id, default.id], now=NOW)

    by_org = {(a.org_id, a.kind, a.threshold) for a in raised}
    assert by_org == {(custom.id, BudgetKind.TOKENS, 25), (default.id, BudgetKind.TOKENS, 50)}
    assert alert_thresholds(reload(engine, custom)) == (25, 90)
    assert alert_thresholds(reload(engine, default)) == BUDGET_ALERT_THRESHOLDS
    assert thresholds_reached(900, 1000, (25, 90)) == (25, 90)
    assert thresholds_reached(900, 1000) == (50, 80)


# -- the overview -----------------------------------------------------------------------------


async def test_overview_figures(
    billing: BillingService,
    actor: Callable[..., Actor],
    engine: Engine,
    async_redis: aioredis.Redis,
    make_org: MakeOrg,
    add_logs: Callable[..., None],
    add_day: Callable[..., None],
) -> None:
    org = make_org("Acme", plan="starter")
    other = make_org("Globex", plan="starter")
    add_logs(org, datetime(2026, 11, 10, tzinfo=UTC), count=10)  # 1,200 tokens, 800 µ$ platform
    add_logs(org, datetime(2026, 10, 30, tzinfo=UTC), count=50)  # last period: not counted
    add_logs(other, datetime(2026, 11, 10, tzinfo=UTC), count=99)
    add_day(org, date(2026, 11, 10), requests=10)
    period = budget_period(NOW, 1)
    await async_redis.hset(f"gw:budget:{{{org.id}}}:{period.id}", mapping={"st": 5000, "su": 7})

    view = await billing.overview(actor(org, MemberRole.VIEWER), now=NOW)

    assert view.plan.name is PlanName.STARTER and view.period == period
    assert (view.tokens_used, view.platform_cost) == (1200, 800)
    elapsed = NOW - period.starts_at
    assert view.tokens_projected == round(1200 * (timedelta(days=30) / elapsed))
    assert view.estimate == InvoiceEstimate(29 * MICRO, 0, 0, 800)
    assert view.spend.tokens == 5000 and view.spend.usd_micro == 800  # live vs rolled up
    assert [plan.name for plan in view.upgrades] == [PlanName.GROWTH, PlanName.SCALE]
    assert not view.past_due and not view.has_subscription


async def test_past_due_is_reported(
    billing: BillingService, actor: Callable[..., Actor], engine: Engine, make_org: MakeOrg
) -> None:
    org = make_org("Acme", plan="growth")
    with system_session(engine) as session:
        row = session.get(Organization, org.id)
        assert row is not None
        row.plan_status = "past_due"  # type: ignore[assignment]
        row.past_due_since = NOW
        session.add(row)
    view = await billing.overview(actor(org), now=NOW)
    assert view.past_due and view.past_due_since == NOW


# -- budgets ----------------------------------------------------------------------------------


async def test_budgets_reach_the_gateway_on_the_next_request(
    billing: BillingService,
    actor: Callable[..., Actor],
    engine: Engine,
    async_redis: aioredis.Redis,
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme")
    admin = actor(org, MemberRole.ADMIN)
    key = (
        await KeyManager(engine, async_redis).create(admin, name="K", environment="prod")
    ).api_key
    tenants = TenantResolver(async_redis, DatabaseTenantLoader(engine), local_ttl_s=0)
    assert (await tenants.resolve(f"Bearer {key}")).budget_tokens is None
    assert await async_redis.exists(tenant_cache_key(hash_api_key(key))) == 1

    budgets = BudgetSettings.parse(
        token_budget="5000",
        usd_budget="12.5",
        thresholds="40,90",
        webhook_url="https://hooks.example.com/routerai",
    )
    await billing.update_budgets(admin, budgets)

    context = await tenants.resolve(f"Bearer {key}")
    assert (context.budget_tokens, context.budget_usd_micro) == (5000, 12_500_000)
    stored = reload(engine, org)
    assert stored.alert_thresholds == [40, 90]
    assert stored.notification_webhook_url == "https://hooks.example.com/routerai"
    view = await billing.overview(admin, now=NOW)
    assert view.budgets == budgets and view.budgets.effective_thresholds == (40, 90)


async def test_the_largest_budgets_a_form_accepts_are_stored_and_enforced(
    billing: BillingService,
    actor: Callable[..., Actor],
    engine: Engine,
    async_redis: aioredis.Redis,
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme")
    admin = actor(org, MemberRole.ADMIN)
    key = (
        await KeyManager(engine, async_redis).create(admin, name="K", environment="prod")
    ).api_key
    await billing.update_budgets(admin, BudgetSettings.parse(**LARGEST))
    tenants = TenantResolver(async_redis, DatabaseTenantLoader(engine), local_ttl_s=0)
    context = await tenants.resolve(f"Bearer {key}")
    assert (context.budget_tokens, context.budget_usd_micro) == (10**15, 999_999_999_990_000)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:6379/", "127.0.0.1"),
        ("https://internal.example.com/hook", "10.0.0.7"),
        ("http://metadata.example.com/", "169.254.169.254"),
        ("ftp://files.example.com/", PUBLIC_IP),
    ],
)
async def test_unsafe_webhook_urls_are_refused(
    engine: Engine,
    async_redis: aioredis.Redis,
    settings: Settings,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    url: str,
    address: str,
) -> None:
    service = BillingService(engine, async_redis, settings, resolver=resolver_to(address))
    org = make_org("Acme")
    with pytest.raises(UnsafeURL):
        await service.update_budgets(
            actor(org, MemberRole.ADMIN), BudgetSettings(100, None, None, url)
        )
    assert reload(engine, org).monthly_token_budget is None


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.VIEWER])
async def test_roles_below_admin_cannot_set_budgets(
    billing: BillingService,
    actor: Callable[..., Actor],
    engine: Engine,
    make_org: MakeOrg,
    role: MemberRole,
) -> None:
    org = make_org("Acme")
    with pytest.raises(PermissionDenied):
        await billing.update_budgets(actor(org, role), BudgetSettings(1, None, None, None))
    assert reload(engine, org).monthly_token_budget is None


async def test_budgets_change_only_the_actors_organization(
    billing: BillingService, actor: Callable[..., Actor], engine: Engine, make_org: MakeOrg
) -> None:
    acme, globex = make_org("Acme"), make_org("Globex")
    await billing.update_budgets(
        actor(acme, MemberRole.ADMIN), BudgetSettings(10, None, None, None)
    )
    assert reload(engine, acme).monthly_token_budget == 10
    assert reload(engine, globex).monthly_token_budget is None
    gone = Actor(uuid.uuid4(), uuid.uuid4(), MemberRole.OWNER)
    with pytest.raises(LookupError):
        await billing.update_budgets(gone, BudgetSettings(10, None, None, None))


# -- Stripe: owners only ----------------------------------------------------------------------


async def test_an_owner_upgrades_through_checkout_and_then_manages_in_the_portal(
    billing: BillingService,
    actor: Callable[..., Actor],
    fake_stripe: FakeStripe,
    make_org: MakeOrg,
) -> None:
    org = make_org("Acme")
    owner = actor(org)
    with pytest.raises(NoBillingAccount):
        await billing.portal(owner)

    upgrade = await billing.upgrade(owner, "growth")

    assert upgrade.checkout_url is not None
    session = fake_stripe.session_for(upgrade.checkout_url)
    assert session["metadata"] == {"org_id": str(org.id), "plan": "growth"}
    assert session["success_url"].startswith("https://app.routerai.test/dashboard/billing?")
    assert (await billing.portal(owner)).startswith(fake_stripe.url)
    with pytest.raises(BillingError, match="Enterprise"):
        await billing.upgrade(owner, "enterprise")


@pytest.mark.parametrize("role", [MemberRole.ADMIN, MemberRole.MEMBER, MemberRole.VIEWER])
async def test_only_owners_bill(
    billing: BillingService,
    actor: Callable[..., Actor],
    fake_stripe: FakeStripe,
    make_org: MakeOrg,
    role: MemberRole,
) -> None:
    org = make_org("Acme")
    with pytest.raises(PermissionDenied):
        await billing.upgrade(actor(org, role), "growth")
    with pytest.raises(PermissionDenied):
        await billing.portal(actor(org, role))
    assert fake_stripe.requests_to("POST", "/v1/checkout/sessions") == []


async def test_billing_off_is_a_message(
    engine: Engine, async_redis: aioredis.Redis, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    service = BillingService(engine, async_redis, Settings(ROUTERAI_ENV="test"))
    with pytest.raises(BillingError, match="not available"):
        await service.upgrade(actor(make_org("Acme")), "growth")


async def test_the_alerts_raised_are_shown(
    billing: BillingService,
    actor: Callable[..., Actor],
    engine: Engine,
    redis_client: redis.Redis,
    make_org: MakeOrg,
    add_day: Callable[..., None],
) -> None:
    org, other = make_org("Acme", plan="free"), make_org("Globex", plan="free")
    for each in (org, other):
        add_day(each, date(2026, 11, 20), requests=700)  # 84,000 of Free's 100,000 tokens
    raise_budget_alerts(engine, redis_client, org_ids=[org.id, other.id], now=NOW)

    view = await billing.overview(actor(org, MemberRole.VIEWER), now=NOW)

    assert [(a.org_id, a.threshold) for a in view.alerts] in (
        [(org.id, 80), (org.id, 50)],
        [(org.id, 50), (org.id, 80)],
    )
