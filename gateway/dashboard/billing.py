"""The billing page's service: the plan, usage against it, the invoice estimate, budgets.

Figures reuse what bills and enforces them: the period is the organization's budget
period (`gateway.budget.period`), tokens and platform-key cost come from the metering
queries Stripe is billed from (`gateway.billing.metering.usage_totals`), budget spend is
the higher of the admission counters and the rolled-up days (as alerts read it), and the
prices are the plans table's. The arithmetic (projection, invoice estimate, parsing a
budget form) is pure and takes `now` as an argument.

Owners bill (Action.MANAGE_BILLING: Checkout, the Customer Portal, plan changes); admins
configure budgets (Action.CONFIGURE). A budget change drops the organization's cached
tenant contexts (`forget_org`), so admission enforces it from the next request.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
import stripe
from sqlalchemy import Engine

from gateway.analytics.alerts import Spend, alert_thresholds, period_spend
from gateway.analytics.queries import recent_budget_alerts
from gateway.auth.permissions import Action, Actor, require
from gateway.billing.catalog import Meter, is_self_serve
from gateway.billing.checkout import BillingUrls, change_plan, portal_url, start_checkout
from gateway.billing.client import BillingNotConfigured, stripe_client
from gateway.billing.errors import BillingError
from gateway.billing.metering import usage_totals
from gateway.billing.plans import PLANS, Plan, PlanName, get_plan
from gateway.budget.period import Period, budget_period
from gateway.budget.redis_store import budget_key
from gateway.db.enums import BUDGET_ALERT_THRESHOLDS, PlanStatus
from gateway.db.models import BudgetAlert, Organization, utcnow
from gateway.db.sessions import tenant_session
from gateway.security.urls import Resolver, UnsafeURL, check_outbound_url, system_resolver
from gateway.settings import Settings
from gateway.tenancy.changes import forget_org
from gateway.tenancy.resolver import invalidate

MICRO = 1_000_000
MIN_ELAPSED = timedelta(hours=1)  # a projection from a few minutes of usage means nothing
MAX_THRESHOLDS = 6
# The largest budgets a form may set: a quadrillion tokens, and a billion dollars less a
# cent. Both stay below 2**53, which the admission scripts' Lua numbers hold exactly.
MAX_TOKEN_BUDGET = 10**15
MAX_USD_BUDGET = 10**9 * MICRO - 10_000


@dataclass(frozen=True, slots=True)
class InvoiceEstimate:
    """What the period's invoice would be for some usage, in micro-USD."""

    flat: int
    overage_tokens: int
    overage: int
    provider_cost: int

    @property
    def total(self) -> int:
        return self.flat + self.overage + self.provider_cost


def estimate_invoice(plan: Plan, *, tokens: int, platform_cost: int) -> InvoiceEstimate:
    """The invoice for `tokens` and `platform_cost` (micro-USD) on `plan`. Pure.

    The flat fee, tokens beyond the included ones at the plan's overage rate ($N per
    million tokens is N micro-USD per token), and platform-key provider cost at cost;
    a free plan has no subscription, so nothing is billed.
    """
    if plan.monthly_price_usd == 0:
        return InvoiceEstimate(0, 0, 0, 0)
    excess = 0
    if plan.included_tokens is not None and plan.overage_usd_per_million is not None:
        excess = max(0, tokens - plan.included_tokens)
    rate = plan.overage_usd_per_million or 0
    return InvoiceEstimate(plan.monthly_price_usd * MICRO, excess, excess * rate, platform_cost)


def project(used: int, period: Period, now: datetime) -> int:
    """`used` so far, extrapolated linearly to the period's end. Pure."""
    total = period.ends_at - period.starts_at
    elapsed = min(max(now - period.starts_at, MIN_ELAPSED), total)
    return round(used * (total / elapsed))


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """An organization's budgets as a form sets them: caps, alert thresholds, webhook."""

    token_budget: int | None
    usd_budget: int | None  # micro-USD
    thresholds: tuple[int, ...] | None  # None: the defaults
    webhook_url: str | None

    @classmethod
    def parse(
        cls, *, token_budget: str, usd_budget: str, thresholds: str, webhook_url: str
    ) -> BudgetSettings:
        """Validate a form's text fields (empty means none); ValueError says what is wrong,
        whatever the text (too long, too large, other scripts' digits, exponents)."""
        return cls(
            _parse_tokens(token_budget),
            _parse_usd(usd_budget),
            _parse_thresholds(thresholds),
            webhook_url.strip() or None,
        )

    @classmethod
    def of(cls, org: Organization) -> BudgetSettings:
        thresholds = None if org.alert_thresholds is None else alert_thresholds(org)
        return cls(
            org.monthly_token_budget,
            org.monthly_usd_budget,
            thresholds,
            org.notification_webhook_url,
        )

    @property
    def effective_thresholds(self) -> tuple[int, ...]:
        return BUDGET_ALERT_THRESHOLDS if self.thresholds is None else self.thresholds


@dataclass(frozen=True, slots=True)
class BillingOverview:
    """Everything the billing page shows, for one organization at one moment."""

    plan: Plan
    plan_status: PlanStatus
    past_due_since: datetime | None
    period: Period
    tokens_used: int
    tokens_projected: int
    platform_cost: int
    estimate: InvoiceEstimate
    projected_estimate: InvoiceEstimate
    spend: Spend
    budgets: BudgetSettings
    alerts: list[BudgetAlert]
    has_subscription: bool
    has_billing_account: bool
    upgrades: tuple[Plan, ...]

    @property
    def past_due(self) -> bool:
        return self.plan_status is PlanStatus.PAST_DUE


@dataclass(frozen=True, slots=True)
class Upgrade:
    """An upgrade's outcome: a Checkout page to send the user to, or a plan already changed."""

    checkout_url: str | None
    plan: PlanName


class BillingService:
    """The organization's plan and budgets, as the billing page reads and changes them."""

    def __init__(
        self,
        engine: Engine,
        redis: aioredis.Redis,
        settings: Settings,
        *,
        client: Callable[[], stripe.StripeClient] | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._settings = settings
        self._client = client or (lambda: stripe_client(settings))
        self._resolver = resolver
        self._urls = BillingUrls.for_site(settings.public_url)

    async def overview(self, actor: Actor, *, now: datetime | None = None) -> BillingOverview:
        """The plan, this period's usage and estimate, budgets and alerts."""
        require(actor.role, Action.VIEW)
        moment = now or utcnow()
        org = await asyncio.to_thread(self._org, actor.org_id)
        period = budget_period(moment, org.budget_reset_day)
        tokens, platform_cost, rolled_up, alerts = await asyncio.to_thread(
            self._usage, actor.org_id, period, moment
        )
        live = await self._live_spend(actor.org_id, period)
        plan = get_plan(org.plan)
        projected_tokens = project(tokens, period, moment)
        return BillingOverview(
            plan=plan,
            plan_status=org.plan_status,
            past_due_since=org.past_due_since,
            period=period,
            tokens_used=tokens,
            tokens_projected=projected_tokens,
            platform_cost=platform_cost,
            estimate=estimate_invoice(plan, tokens=tokens, platform_cost=platform_cost),
            projected_estimate=estimate_invoice(
                plan,
                tokens=projected_tokens,
                platform_cost=project(platform_cost, period, moment),
            ),
            spend=live.at_least(rolled_up),
            budgets=BudgetSettings.of(org),
            alerts=alerts,
            has_subscription=org.stripe_subscription_id is not None,
            has_billing_account=org.stripe_customer_id is not None,
            upgrades=_upgrades_from(plan),
        )

    async def upgrade(self, actor: Actor, plan: str) -> Upgrade:
        """Checkout for a first subscription; an in-place plan change for a paying one."""
        require(actor.role, Action.MANAGE_BILLING)
        org = await asyncio.to_thread(self._org, actor.org_id)
        client = self._stripe()
        if org.stripe_subscription_id is None:
            url = await asyncio.to_thread(
                start_checkout,
                self._engine,
                client,
                org_id=actor.org_id,
                plan=plan,
                urls=self._urls,
            )
            return Upgrade(url, org.plan)
        change = await asyncio.to_thread(
            change_plan, self._engine, client, org_id=actor.org_id, plan=plan
        )
        await invalidate(self._redis, change.key_hashes)
        return Upgrade(None, change.plan)

    async def portal(self, actor: Actor) -> str:
        """A Customer Portal page: payment methods, invoices, cancelling."""
        require(actor.role, Action.MANAGE_BILLING)
        client = self._stripe()
        return await asyncio.to_thread(
            portal_url, self._engine, client, org_id=actor.org_id, urls=self._urls
        )

    async def update_budgets(self, actor: Actor, budgets: BudgetSettings) -> BudgetSettings:
        """Store the budgets; admission enforces them from the organization's next request.

        The webhook URL must be one RouterAI may reach (`check_outbound_url`), else
        UnsafeURL (a ValueError) and nothing changes.
        """
        require(actor.role, Action.CONFIGURE)
        if budgets.webhook_url is not None:
            await asyncio.to_thread(
                check_outbound_url,
                budgets.webhook_url,
                allow_private=self._settings.allow_private_webhooks,
                resolve=self._resolver,
            )
        await asyncio.to_thread(self._store_budgets, actor.org_id, budgets)
        await forget_org(self._engine, self._redis, actor.org_id)
        return budgets

    def _stripe(self) -> stripe.StripeClient:
        try:
            return self._client()
        except BillingNotConfigured:
            raise BillingError("Billing is not available on this deployment.") from None

    def _org(self, org_id: uuid.UUID) -> Organization:
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id)
        if org is None:
            raise LookupError("the organization no longer exists")
        return org

    def _usage(
        self, org_id: uuid.UUID, period: Period, now: datetime
    ) -> tuple[int, int, Spend, list[BudgetAlert]]:
        with tenant_session(self._engine, org_id) as session:
            metered = usage_totals(session, org_id, period.starts_at, now)
            rolled_up = period_spend(session, org_id=org_id, period=period)
            alerts = recent_budget_alerts(session, org_id=org_id)
        return metered[Meter.TOKENS], metered[Meter.PROVIDER_COST], rolled_up, alerts

    async def _live_spend(self, org_id: uuid.UUID, period: Period) -> Spend:
        reply: Any = self._redis.hmget(budget_key(str(org_id), period.id), ["st", "su"])
        tokens, usd = await reply
        return Spend(int(tokens or 0), int(usd or 0))

    def _store_budgets(self, org_id: uuid.UUID, budgets: BudgetSettings) -> None:
        with tenant_session(self._engine, org_id) as session:
            org = session.get(Organization, org_id, with_for_update=True)
            if org is None:
                raise LookupError("the organization no longer exists")
            org.monthly_token_budget = budgets.token_budget
            org.monthly_usd_budget = budgets.usd_budget
            org.alert_thresholds = None if budgets.thresholds is None else list(budgets.thresholds)
            org.notification_webhook_url = budgets.webhook_url
            org.updated_at = datetime.now(UTC)
            session.add(org)


def _upgrades_from(current: Plan) -> tuple[Plan, ...]:
    return tuple(
        plan
        for plan in PLANS.values()
        if is_self_serve(plan) and plan.monthly_price_usd > current.monthly_price_usd
    )


def _parse_tokens(text: str) -> int | None:
    clean = text.strip().replace(",", "").replace("_", "")
    if not clean:
        return None
    if not _ascii_digits(clean):
        raise ValueError("the token budget must be a whole number of tokens, e.g. 5000000")
    if _too_long(clean) or int(clean) > MAX_TOKEN_BUDGET:
        raise ValueError(f"the token budget can be at most {MAX_TOKEN_BUDGET:,} tokens")
    if int(clean) == 0:
        raise ValueError("the token budget must be above zero")
    return int(clean)


def _parse_usd(text: str) -> int | None:
    clean = text.strip().lstrip("$").strip().replace(",", "")
    if not clean:
        return None
    dollars, _, cents = clean.partition(".")
    if not (dollars or cents) or not (
        _ascii_digits(dollars or "0") and _ascii_digits(cents or "0")
    ):
        raise ValueError("the USD budget must be an amount in dollars, e.g. 250 or 99.50")
    cents = cents.rstrip("0")
    if len(cents) > 2:
        raise ValueError("the USD budget must be in dollars and cents")
    if _too_long(dollars) or int(dollars or "0") * MICRO > MAX_USD_BUDGET:
        raise ValueError(f"the USD budget can be at most ${MAX_USD_BUDGET / MICRO:,.2f}")
    amount = int(dollars or "0") * MICRO + int(cents.ljust(2, "0")) * (MICRO // 100)
    if amount == 0:
        raise ValueError("the USD budget must be above zero")
    return amount


def _parse_thresholds(text: str) -> tuple[int, ...] | None:
    parts = [part.strip().rstrip("%").strip() for part in text.replace(";", ",").split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return None
    if not all(_ascii_digits(part) for part in parts):
        raise ValueError("alert thresholds are whole percentages, e.g. 50, 80, 100")
    if any(_too_long(part) for part in parts):
        raise ValueError("alert thresholds are percentages from 1 to 100")
    values = tuple(sorted({int(part) for part in parts}))
    if values[0] < 1 or values[-1] > 100:
        raise ValueError("alert thresholds are percentages from 1 to 100")
    if len(values) > MAX_THRESHOLDS:
        raise ValueError(f"at most {MAX_THRESHOLDS} alert thresholds")
    return values


def _ascii_digits(text: str) -> bool:
    """Only 0-9 (`str.isdigit` also takes other scripts' digits and superscripts)."""
    return text.isascii() and text.isdigit()


def _too_long(digits: str) -> bool:
    """More significant digits than any budget has: refused before `int` reads them."""
    return len(digits.lstrip("0")) > 16


__all__ = [
    "BillingOverview",
    "BillingService",
    "BudgetSettings",
    "InvoiceEstimate",
    "UnsafeURL",
    "Upgrade",
    "estimate_invoice",
    "project",
]
