"""The services the web app's event handlers and HTTP routes use, built once per process.

Reflex creates state objects itself, so handlers cannot receive their dependencies as
arguments: the composition root (`routerai_app.py`) builds one `Services` from the
gateway it mounts and installs it here, and handlers ask `services()` for it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.github import GitHubOAuth
from gateway.auth.mail import mailer_for
from gateway.auth.service import AuthService
from gateway.dashboard.benchmarks import BenchmarkService
from gateway.dashboard.billing import BillingService
from gateway.dashboard.cache import CacheAdmin
from gateway.dashboard.keys import KeyManager
from gateway.dashboard.logs import RequestLogs
from gateway.dashboard.members import MemberManager
from gateway.dashboard.organization import OrganizationManager
from gateway.dashboard.providers import ProvidersService
from gateway.dashboard.routing import RoutingSettings
from gateway.dashboard.usage import UsageReports
from gateway.runtime import Gateway
from gateway.settings import Settings
from workers.queues import BenchmarkQueue

SESSION_COOKIE = "routerai_session"
OAUTH_STATE_COOKIE = "routerai_oauth_state"
GITHUB_CALLBACK_PATH = "/auth/github/callback"


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    redis: aioredis.Redis
    auth: AuthService
    keys: KeyManager
    github: GitHubOAuth | None
    # The gateway this process mounts: its router previews routing settings.
    runtime: Gateway | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        engine: Engine,
        redis: aioredis.Redis,
        runtime: Gateway | None = None,
    ) -> Services:
        github = (
            GitHubOAuth(settings, public_url(settings) + GITHUB_CALLBACK_PATH)
            if settings.github_oauth_enabled
            else None
        )
        return cls(
            settings,
            engine,
            redis,
            AuthService(
                engine, redis, mailer=mailer_for(settings), public_url=public_url(settings)
            ),
            KeyManager(engine, redis),
            github,
            runtime,
        )

    @functools.cached_property
    def routing(self) -> RoutingSettings:
        if self.runtime is None:
            raise RuntimeError("routing previews need the gateway this process mounts")
        return RoutingSettings(self.engine, self.redis, self.runtime.pipeline.router)

    @functools.cached_property
    def cache(self) -> CacheAdmin:
        return CacheAdmin(self.engine, self.redis)

    @functools.cached_property
    def usage(self) -> UsageReports:
        return UsageReports(self.engine)

    @functools.cached_property
    def request_logs(self) -> RequestLogs:
        return RequestLogs(self.engine)

    @functools.cached_property
    def providers(self) -> ProvidersService:
        transport = self.runtime.transport if self.runtime is not None else None
        if transport is None:
            raise RuntimeError("provider key checks need the gateway this process mounts")
        return ProvidersService.from_settings(self.settings, self.engine, self.redis, transport)

    @functools.cached_property
    def billing(self) -> BillingService:
        return BillingService(self.engine, self.redis, self.settings)

    @functools.cached_property
    def members(self) -> MemberManager:
        return MemberManager(self.engine)

    @functools.cached_property
    def organization(self) -> OrganizationManager:
        return OrganizationManager(self.engine, self.redis)

    @functools.cached_property
    def benchmarks(self) -> BenchmarkService:
        return BenchmarkService(self.engine, BenchmarkQueue(self.settings))

    @property
    def api_base_url(self) -> str:
        """The gateway's OpenAI-compatible base URL, as customers configure it."""
        return public_url(self.settings) + "/v1"

    @property
    def secure_cookies(self) -> bool:
        return self.settings.public_url.startswith("https://")


def public_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


_installed: dict[str, Services] = {}


def install(services: Services) -> None:
    """Make `services` the ones every handler of this process uses."""
    _installed["services"] = services


def services() -> Services:
    """The installed services; RuntimeError before the composition root ran."""
    try:
        return _installed["services"]
    except KeyError:
        raise RuntimeError("the web app's services are not installed") from None
