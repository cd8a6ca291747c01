"""`routerai stripe …`: the Stripe side of billing, for operators.

    sync            create or update the meters, products and prices the plans need
    report-usage    record closed hours and send pending meter reports now
    reconcile       compare a day's usage with Stripe's meter summaries (alerts kept)
    alerts          list the open reconciliation alerts

Errors (settings, Stripe, database) end as a one-line message and a non-zero exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import redis
import stripe
import typer
from sqlalchemy import Engine

from gateway.billing.client import BillingNotConfigured, stripe_client
from gateway.billing.metering import record_usage, send_reports
from gateway.billing.reconciliation import AlertStore, reconcile
from gateway.billing.sync import sync_catalog
from gateway.db.engine import make_engine
from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings, load_settings

stripe_app = typer.Typer(
    help="Billing with Stripe: catalogue, usage reports, reconciliation.", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(1)


@contextmanager
def _errors() -> Iterator[None]:
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except ValidationError as exc:
        raise _fail("invalid settings: " + "; ".join(str(e["msg"]) for e in exc.errors())) from None
    except BillingNotConfigured as exc:
        raise _fail(str(exc)) from None
    except stripe.StripeError as exc:
        raise _fail(f"Stripe refused the request: {exc.user_message or exc}") from None
    except SQLAlchemyError as exc:
        raise _fail(
            f"database error ({type(exc).__name__}); is it reachable and migrated?"
        ) from None


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.resolved_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _redis(settings: Settings) -> Iterator[redis.Redis]:
    url, _keep_alive = resolve_redis_url(settings)  # an embedded Redis lives while it is held
    client = redis.Redis.from_url(url)
    try:
        yield client
    finally:
        client.close()


@stripe_app.command("sync")
def sync() -> None:
    """Create or update (idempotently) the Stripe meters, products and prices of the plans."""
    with _errors():
        changes = sync_catalog(stripe_client(load_settings()))
    changed = [change for change in changes if change.changed]
    for change in changed:
        typer.echo(str(change))
    unchanged = len(changes) - len(changed)
    if changed:
        typer.echo(f"{len(changed)} changed, {unchanged} already up to date")
    else:
        typer.echo(f"Stripe already matches the plans ({unchanged} objects up to date)")


@stripe_app.command("report-usage")
def report_usage() -> None:
    """Record every closed hour of usage and send pending meter reports to Stripe now."""
    now = datetime.now(UTC)
    with _errors():
        settings = load_settings()
        with _engine(settings) as engine:
            recorded = record_usage(engine, now=now)
            summary = send_reports(engine, stripe_client(settings), now=now)
    typer.echo(
        f"{recorded} hourly report(s) recorded; sent {summary.sent}, failed {summary.failed}, "
        f"deferred {summary.deferred}"
    )
    for error in summary.errors:
        typer.echo(f"  {error}", err=True)
    if summary.failed or summary.deferred:
        raise typer.Exit(1)


@stripe_app.command("reconcile")
def reconcile_day(
    day: Annotated[
        str | None, typer.Option(help="UTC day to check, YYYY-MM-DD (default: yesterday)")
    ] = None,
) -> None:
    """Compare one day's recorded usage with Stripe's meter summaries; exit 1 on a discrepancy."""
    with _errors():
        first = date.fromisoformat(day) if day else datetime.now(UTC).date() - timedelta(days=1)
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        settings = load_settings()
        with _engine(settings) as engine, _redis(settings) as client:
            result = reconcile(
                engine, stripe_client(settings), start=start, end=start + timedelta(days=1)
            )
            AlertStore(client).record(result)
    for discrepancy in result.discrepancies:
        typer.secho(discrepancy.message, fg=typer.colors.RED)
    typer.echo(
        f"{first}: {len(result.checked)} meter(s) checked, "
        f"{len(result.discrepancies)} discrepancy(ies) over 0.1 %"
    )
    if result.discrepancies:
        raise typer.Exit(1)


@stripe_app.command("alerts")
def alerts() -> None:
    """List the open reconciliation alerts."""
    with _errors():
        settings = load_settings()
        with _redis(settings) as client:
            found = AlertStore(client).alerts()
    for discrepancy in found:
        typer.echo(discrepancy.message)
    if not found:
        typer.echo("no open reconciliation alerts")
