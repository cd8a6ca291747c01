"""`routerai stripe …`: sync, usage reports and reconciliation from the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import stripe
from sqlalchemy import Engine
from typer.testing import CliRunner

from gateway.billing.checkout import ensure_customer
from gateway.db.models import Organization
from gateway.settings import Settings
from routerai.stripe_cli import stripe_app
from tests.billing.fake_stripe import FakeStripe
from tests.billing.test_metering import settings_env

runner = CliRunner()


def test_sync_prints_what_it_changed_and_then_that_nothing_changed(
    fake_stripe: FakeStripe, billing_settings: Settings
) -> None:
    env = settings_env(billing_settings)

    first = runner.invoke(stripe_app, ["sync"], env=env)
    second = runner.invoke(stripe_app, ["sync"], env=env)

    assert first.exit_code == 0, first.output
    assert "created     price   routerai_growth_tokens" in first.output
    assert "created     meter   llm_tokens_used" in first.output
    assert first.output.rstrip().endswith("15 changed, 0 already up to date")
    assert second.exit_code == 0
    assert second.output == "Stripe already matches the plans (15 objects up to date)\n"


def test_without_a_stripe_key_the_command_says_what_to_set(billing_settings: Settings) -> None:
    env: dict[str, str | None] = {**settings_env(billing_settings), "STRIPE_SECRET_KEY": None}
    result = runner.invoke(stripe_app, ["sync"], env=env)
    assert result.exit_code == 1
    assert "set STRIPE_SECRET_KEY" in result.output


def test_a_stripe_outage_is_one_line_not_a_traceback(
    fake_stripe: FakeStripe, billing_settings: Settings
) -> None:
    fake_stripe.fail("GET", "/v1/billing/meters", "server_error", times=10)
    result = runner.invoke(stripe_app, ["sync"], env=settings_env(billing_settings))
    assert result.exit_code == 1
    assert result.output.startswith("error: Stripe refused the request: An unknown error")
    assert "Traceback" not in result.output


def test_report_usage_then_reconcile_and_list_alerts(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    billing_settings: Settings,
    add_usage: Callable[..., None],
) -> None:
    env = settings_env(billing_settings)
    org = make_org(name="Acme")
    customer = ensure_customer(engine, synced_stripe, org.id)
    yesterday = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    yesterday -= timedelta(days=1)
    add_usage(org.id, yesterday, 2_000, 30)

    reported = runner.invoke(stripe_app, ["report-usage"], env=env)
    agreed = runner.invoke(stripe_app, ["reconcile"], env=env)
    fake_stripe.catalog.record_meter_event(
        "llm_provider_cost", customer, 5, int(yesterday.timestamp())
    )
    flagged = runner.invoke(stripe_app, ["reconcile", "--day", str(yesterday.date())], env=env)
    alerts = runner.invoke(stripe_app, ["alerts"], env=env)

    assert reported.exit_code == 0, reported.output
    assert reported.output.startswith("2 hourly report(s) recorded; sent 2, failed 0")
    assert agreed.exit_code == 0 and "0 discrepancy(ies)" in agreed.output
    assert flagged.exit_code == 1
    assert "llm_provider_cost" in flagged.output and "RouterAI recorded 30, Stripe has 35" in (
        flagged.output
    )
    assert alerts.exit_code == 0 and "RouterAI recorded 30, Stripe has 35" in alerts.output
