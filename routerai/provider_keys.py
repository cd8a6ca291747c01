"""`routerai provider-key …`: an organization's own provider keys (bring your own key).

The key is read from a hidden prompt (or standard input), never from the command line,
so it stays out of shell history; it is checked against the provider before it is
stored encrypted, and only its last four characters are ever printed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import redis.asyncio as aioredis
import typer

from gateway.credentials.crypto import SecretBox
from gateway.credentials.service import CredentialService
from gateway.embedded_redis import resolve_redis_url
from gateway.providers.discovery import CredentialProbe
from gateway.providers.transport import Transport
from gateway.settings import Settings
from gateway.tenancy.changes import forget_org
from routerai.admin import engine_for, find_org

provider_key_app = typer.Typer(
    help="Manage an organization's own provider keys.", no_args_is_help=True
)

T = TypeVar("T")
PROVIDERS_WITH_KEYS = ("openai", "anthropic", "groq", "together")


def _with_service(
    settings: Settings, org: str, action: Callable[[CredentialService, uuid.UUID], Awaitable[T]]
) -> T:
    async def run() -> T:
        url, _embedded = resolve_redis_url(settings)
        redis = aioredis.Redis.from_url(url)
        transport = Transport(connect_timeout_s=5, read_timeout_s=15)
        try:
            with engine_for(settings) as engine:
                organization = find_org(engine, org)

                async def changed(org_id: str) -> None:
                    await forget_org(engine, redis, uuid.UUID(org_id))

                service = CredentialService(
                    engine,
                    SecretBox.from_secret_key(settings.secret_key.get_secret_value()),
                    CredentialProbe.from_settings(transport, settings),
                    on_change=changed,
                )
                return await action(service, organization.id)
        finally:
            await transport.close()
            await redis.aclose()

    return asyncio.run(run())


def _settings() -> Settings:
    from routerai.cli import settings_or_exit

    return settings_or_exit()


def _provider(value: str) -> str:
    if value not in PROVIDERS_WITH_KEYS:
        raise typer.BadParameter(f"one of: {', '.join(PROVIDERS_WITH_KEYS)}")
    return value


@provider_key_app.command("add")
def add(
    org: Annotated[str, typer.Argument(help="The organization's slug or id.")],
    provider: Annotated[
        str, typer.Argument(help="openai, anthropic, groq or together.", callback=_provider)
    ],
    replace: Annotated[bool, typer.Option(help="Replace the key already stored.")] = False,
) -> None:
    """Check a provider key with the provider, then store it encrypted."""
    from routerai.cli import cli_errors

    secret = typer.prompt(f"{provider} API key", hide_input=True)
    settings = _settings()
    with cli_errors():
        info = _with_service(
            settings,
            org,
            lambda service, org_id: (service.replace if replace else service.add)(
                org_id, provider, secret
            ),
        )
        typer.echo(f"stored {info.provider} key …{info.last_four}")


@provider_key_app.command("list")
def list_keys(org: Annotated[str, typer.Argument(help="The organization's slug or id.")]) -> None:
    """List the organization's provider keys, masked."""
    from routerai.cli import cli_errors

    settings = _settings()
    with cli_errors():
        rows = _with_service(settings, org, lambda service, org_id: service.list_all(org_id))
    if not rows:
        typer.echo("no provider keys (the platform's keys are used where the plan allows)")
    for info in rows:
        typer.echo(
            f"{info.provider:<10} …{info.last_four}  updated "
            f"{info.updated_at.isoformat(timespec='seconds')}"
        )


@provider_key_app.command("remove")
def remove(
    org: Annotated[str, typer.Argument(help="The organization's slug or id.")],
    provider: Annotated[str, typer.Argument(callback=_provider)],
) -> None:
    """Remove the organization's key for a provider."""
    from routerai.cli import cli_errors

    settings = _settings()
    with cli_errors():
        removed = _with_service(
            settings, org, lambda service, org_id: service.remove(org_id, provider)
        )
    typer.echo("removed" if removed else f"no {provider} key was stored")
