"""The `routerai` command line: administration, and every process of the product.

Each command reads the settings once, does one thing, and reports errors as a
clear message with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer

from gateway.settings import Settings, load_settings
from routerai.provider_keys import provider_key_app
from routerai.stripe_cli import stripe_app

app = typer.Typer(
    help="RouterAI: the multi-tenant LLM gateway.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
org_app = typer.Typer(help="Manage organizations.", no_args_is_help=True)
key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(key_app, name="key")
app.add_typer(stripe_app, name="stripe")
app.add_typer(provider_key_app, name="provider-key")

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn expected failures into one-line messages and a non-zero exit."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from gateway.credentials.check import CredentialUnverified
    from routerai.processes import StartupFailed

    try:
        yield
    except ValidationError as exc:
        raise fail(
            "invalid settings: " + "; ".join(str(e.get("msg")) for e in exc.errors())
        ) from None
    except (OperationalError, ProgrammingError) as exc:
        raise fail(
            f"database error ({type(exc.orig).__name__}); is it reachable and migrated? "
            "Run `routerai migrate`."
        ) from None
    except (ValueError, LookupError, CredentialUnverified, StartupFailed) as exc:
        raise fail(str(exc).strip("'\"")) from None


def settings_or_exit() -> Settings:
    with cli_errors():
        return load_settings()
    raise AssertionError("unreachable")


def _run(action: Callable[[], T]) -> T:
    with cli_errors():
        return action()
    raise AssertionError("unreachable")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from gateway.db.migrate import role_of, upgrade

    settings = settings_or_exit()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app_url = settings.resolved_database_url
    if settings.migration_database_url is None:
        _run(lambda: upgrade(app_url))
    else:
        owner_url, app_role = settings.migration_database_url, role_of(app_url)
        if app_role is None or app_role == role_of(owner_url):
            raise fail("DATABASE_URL must connect as a role other than MIGRATION_DATABASE_URL's")
        _run(lambda: upgrade(owner_url, grant_to=app_role))
    typer.echo("database is up to date")


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(help="The organization's display name.")],
    plan: Annotated[str, typer.Option(help="free, starter, growth, scale or enterprise.")] = "free",
) -> None:
    """Create an organization; prints its id and slug."""
    from routerai import admin

    settings = settings_or_exit()
    org = _run(lambda: admin.create_org(settings, name=name, plan=plan))
    typer.echo(f"id:   {org.id}\nslug: {org.slug}\nplan: {org.plan}")


@key_app.command("create")
def key_create(
    org: Annotated[str, typer.Argument(help="The organization's slug or id.")],
    env: Annotated[str, typer.Option(help="prod or dev.")] = "prod",
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "default",
) -> None:
    """Create an API key; prints the full key once (only its hash is stored)."""
    from routerai import admin

    if env not in ("prod", "dev"):
        raise typer.BadParameter("must be 'prod' or 'dev'", param_hint="--env")
    settings = settings_or_exit()
    row, full_key = _run(lambda: admin.create_key(settings, org=org, environment=env, name=name))
    typer.echo(f"id:  {row.id}\nkey: {full_key}\n")
    typer.echo("Store this key now: RouterAI keeps only its hash and cannot show it again.")


@key_app.command("list")
def key_list(org: Annotated[str, typer.Argument(help="The organization's slug or id.")]) -> None:
    """List an organization's API keys (prefixes only, never the secret)."""
    from routerai import admin

    settings = settings_or_exit()
    rows = _run(lambda: admin.list_keys(settings, org=org))
    if not rows:
        typer.echo("no keys")
    for row in rows:
        status = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        typer.echo(
            f"{row.id}  {row.prefix:<24} {row.environment:<4} {status:<7} "
            f"last used {used}  {row.name}"
        )


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from `routerai key list`).")],
    org: Annotated[str | None, typer.Option(help="The key's organization (faster).")] = None,
) -> None:
    """Revoke an API key; every gateway process refuses it within seconds."""
    from routerai import admin

    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        raise fail(f"{key_id!r} is not a key id; `routerai key list ORG` shows them") from None
    settings = settings_or_exit()
    row = _run(lambda: admin.revoke_key(settings, key_id=parsed, org=org))
    typer.echo(f"revoked {row.prefix} ({row.name})")


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8900,
    host: str = "127.0.0.1",
    latency_ms: Annotated[
        int | None,
        typer.Option(
            min=0, help="Latency for every provider; realistic per-provider defaults if unset."
        ),
    ] = None,
) -> None:
    """Run the upstream sandbox that speaks every provider's wire protocol."""
    from gateway.sandbox import serve

    serve(host=host, port=port, latency_ms=latency_ms)


@app.command()
def api(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Run the gateway's API alone (the scale-out process)."""
    import uvicorn

    settings_or_exit()
    uvicorn.run(
        "gateway.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Drain the queues and exit.")] = False,
) -> None:
    """Run the background workers (usage ingestion and scheduled jobs)."""
    from routerai import processes

    settings = settings_or_exit()
    _run(lambda: processes.run_worker(settings, burst=burst))


@app.command()
def up(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 3000,
) -> None:
    """Run everything on one port: migrations, demo org, sandbox, worker and the web app."""
    from routerai import processes

    settings = settings_or_exit()
    _run(lambda: processes.run_up(settings, port=port))


def main() -> None:
    app()
