"""The services the web app's event handlers and HTTP routes use, built once per process.

Reflex creates state objects itself, so handlers cannot receive their dependencies as
arguments: the composition root (`routerai_app.py`) builds one `Services` from the
gateway it mounts and installs it here, and handlers ask `services()` for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.github import GitHubOAuth
from gateway.auth.service import AuthService
from gateway.dashboard.keys import KeyManager
from gateway.settings import Settings

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

    @classmethod
    def build(cls, settings: Settings, engine: Engine, redis: aioredis.Redis) -> Services:
        github = (
            GitHubOAuth(settings, public_url(settings) + GITHUB_CALLBACK_PATH)
            if settings.github_oauth_enabled
            else None
        )
        return cls(
            settings, engine, redis, AuthService(engine, redis), KeyManager(engine, redis), github
        )

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
