"""The billing page: plan, usage and estimate, upgrades, budgets. The service enforces roles."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.billing.errors import BillingError
from gateway.billing.plans import PLANS
from gateway.dashboard.billing import BillingOverview, BudgetSettings, InvoiceEstimate
from gateway.db.models import BudgetAlert
from routerai_app.backend import services
from routerai_app.state.session import SessionState

log = logging.getLogger("routerai.web")
CHECKOUT_NOTICES = {
    "success": "Payment received. Your new plan applies as soon as Stripe confirms it.",
    "canceled": "Checkout was canceled; your plan did not change.",
}


def usd(micro: int) -> str:
    return f"${micro / 1_000_000:,.2f}"


def percent(part: int, whole: int | None) -> int:
    return 0 if not whole else min(100, round(part * 100 / whole))


def estimate_rows(now: InvoiceEstimate, projected: InvoiceEstimate) -> list[dict[str, str]]:
    return [
        {"label": "Plan fee", "now": usd(now.flat), "projected": usd(projected.flat)},
        {
            "label": "Tokens beyond the included ones",
            "now": usd(now.overage),
            "projected": usd(projected.overage),
        },
        {
            "label": "Provider cost through platform keys",
            "now": usd(now.provider_cost),
            "projected": usd(projected.provider_cost),
        },
    ]


def alert_view(alert: BudgetAlert) -> dict[str, str]:
    kind = "Token" if alert.kind == "tokens" else "USD"
    return {
        "id": str(alert.id),
        "label": f"{kind} budget reached {alert.threshold} %",
        "period": alert.period,
        "when": alert.created_at.strftime("%b %d, %H:%M UTC"),
        "delivered": "Webhook delivered" if alert.delivered_at else "",
    }


class BillingState(SessionState):
    loading: bool = True
    error: str = ""
    notice: str = ""
    busy: str = ""  # which action runs: "upgrade:<plan>", "portal" or "budgets"
    action_error: str = ""
    budget_error: str = ""

    plan_title: str = ""
    plan_price: str = ""
    past_due: bool = False
    past_due_since: str = ""
    has_billing_account: bool = False
    period_label: str = ""
    tokens_used: str = "0"
    tokens_included: str = ""
    usage_percent: int = 0
    tokens_projected: str = "0"
    projected_percent: int = 0
    estimate: list[dict[str, str]] = []
    estimate_total: str = ""
    projected_total: str = ""
    upgrades: list[dict[str, str]] = []
    # The plan picked on the pricing table before sign-up (?plan=), while still an upgrade.
    chosen_plan: str = ""

    token_budget: str = ""
    usd_budget: str = ""
    thresholds: str = ""
    thresholds_hint: str = ""
    webhook_url: str = ""
    webhook_hint: str = ""
    spend_tokens: str = "0"
    spend_usd: str = "$0.00"
    alerts: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        self.notice = CHECKOUT_NOTICES.get(self.router.url.query_parameters.get("checkout", ""), "")
        self.action_error = self.budget_error = ""
        self.busy = ""  # a redirect to Stripe left its action marked busy in this tab
        redirect = await self._reload()
        chosen = self.router.url.query_parameters.get("plan", "")
        self.chosen_plan = chosen if any(p["name"] == chosen for p in self.upgrades) else ""
        return redirect

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        yield None
        yield await self._reload()

    async def _reload(self) -> rx.event.EventSpec | None:
        access = await self._access()
        if access is None:
            return self._login_redirect()
        try:
            overview = await services().billing.overview(access)
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("loading the billing page failed")
            self.error = "Billing could not be loaded."
        else:
            self._show(overview)
            self.error = ""
        self.loading = False
        return None

    def _show(self, view: BillingOverview) -> None:
        plan = view.plan
        self.org_plan = plan.name.value
        self.plan_title = plan.title
        self.plan_price = (
            "No monthly fee" if plan.monthly_price_usd == 0 else f"${plan.monthly_price_usd}/mo"
        )
        self.past_due = view.past_due
        self.past_due_since = (
            view.past_due_since.strftime("%b %d, %Y") if view.past_due_since else ""
        )
        self.has_billing_account = view.has_billing_account
        last_day = view.period.ends_at - timedelta(days=1)
        self.period_label = (
            f"{view.period.starts_at.strftime('%b %d')} to {last_day.strftime('%b %d, %Y')}"
        )
        included = plan.included_tokens
        self.tokens_used = f"{view.tokens_used:,}"
        self.tokens_included = "unlimited" if included is None else f"{included:,}"
        self.usage_percent = percent(view.tokens_used, included)
        self.tokens_projected = f"{view.tokens_projected:,}"
        self.projected_percent = percent(view.tokens_projected, included)
        self.estimate = estimate_rows(view.estimate, view.projected_estimate)
        self.estimate_total = usd(view.estimate.total)
        self.projected_total = usd(view.projected_estimate.total)
        self.upgrades = [
            {"name": p.name.value, "title": p.title, "price": f"${p.monthly_price_usd}/mo"}
            for p in view.upgrades
        ]
        self._show_budgets(view.budgets)
        self.webhook_hint = (
            "Signed budget alerts are posted here"
            if plan.budget_alerts
            else f"Alerts show here; webhooks need the {_first_plan_with_alerts()} plan or above"
        )
        self.spend_tokens = f"{view.spend.tokens:,}"
        self.spend_usd = usd(view.spend.usd_micro)
        self.alerts = [alert_view(alert) for alert in view.alerts]

    def _show_budgets(self, budgets: BudgetSettings) -> None:
        self.token_budget = "" if budgets.token_budget is None else str(budgets.token_budget)
        self.usd_budget = (
            "" if budgets.usd_budget is None else f"{budgets.usd_budget / 1_000_000:.2f}"
        )
        self.thresholds = (
            "" if budgets.thresholds is None else ", ".join(map(str, budgets.thresholds))
        )
        self.thresholds_hint = ", ".join(f"{t} %" for t in budgets.effective_thresholds)
        self.webhook_url = budgets.webhook_url or ""

    @rx.event
    async def upgrade(self, plan: str) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._start(f"upgrade:{plan}")
        if access is None:
            yield self._login_redirect()
            return
        yield None
        try:
            outcome = await services().billing.upgrade(access, plan)
        except PermissionDenied:
            self.action_error = "Only an owner of this organization can change its plan."
        except BillingError as exc:
            self.action_error = exc.message
        else:
            if outcome.checkout_url is not None:
                yield rx.redirect(outcome.checkout_url, is_external=False)
                return
            yield rx.toast.success(f"You are now on {outcome.plan.title()}.")
            await self._reload()
        self.busy = ""

    @rx.event
    async def manage(self) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._start("portal")
        if access is None:
            yield self._login_redirect()
            return
        yield None
        try:
            url = await services().billing.portal(access)
        except PermissionDenied:
            self.action_error = "Only an owner of this organization can manage billing."
        except BillingError as exc:
            self.action_error = exc.message
        else:
            yield rx.redirect(url)
            return
        self.busy = ""

    @rx.event
    async def save_budgets(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._start("budgets")
        if access is None:
            yield self._login_redirect()
            return
        self.budget_error = ""
        yield None
        try:
            budgets = BudgetSettings.parse(
                token_budget=str(form.get("token_budget", "")),
                usd_budget=str(form.get("usd_budget", "")),
                thresholds=str(form.get("thresholds", "")),
                webhook_url=str(form.get("webhook_url", "")),
            )
            saved = await services().billing.update_budgets(access, budgets)
        except PermissionDenied:
            self.budget_error = "Only admins and owners can change budgets."
        except ValueError as exc:
            self.budget_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError):
            log.exception("saving budgets failed")
            self.budget_error = "Something went wrong and nothing was changed. Please try again."
        else:
            self._show_budgets(saved)
            yield rx.toast.success("Budgets saved. They apply from the next request.")
        finally:  # whatever happened, the form can be sent again
            self.busy = ""

    async def _start(self, action: str) -> Actor | None:
        access = await self._access()
        if access is None:
            return None
        self.busy = action
        self.action_error = ""
        return access


def _first_plan_with_alerts() -> str:
    return next(plan.title for plan in PLANS.values() if plan.budget_alerts)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
