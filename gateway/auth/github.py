"""Sign in with GitHub: OAuth 2.0's authorization-code flow, through authlib.

1. `authorization_url(state)`: where the browser goes to approve RouterAI; `state` is a
   random value the web app also keeps in a short-lived cookie, to check on return.
2. `identity(code)`: on return, the code is exchanged for a token, and the token reads
   the user (`/user`) and their addresses (`/user/emails`): only a verified primary
   address is accepted.

The base URLs come from the settings, so tests point them at a fake server and GitHub
Enterprise works the same way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from gateway.settings import Settings

try:  # authlib talks through httpx2 where it is installed, else through httpx
    from httpx2 import HTTPError
except ImportError:  # pragma: no cover
    from httpx import HTTPError  # type: ignore[assignment]

SCOPE = "read:user user:email"
TIMEOUT_S = 10.0


class GitHubSignInError(RuntimeError):
    """GitHub refused the code, failed, or gave no verified primary email."""


@dataclass(frozen=True, slots=True)
class GitHubIdentity:
    github_id: int
    login: str
    name: str
    email: str


def new_state() -> str:
    """A fresh random OAuth `state` value."""
    return secrets.token_urlsafe(24)


class GitHubOAuth:
    """The GitHub OAuth app configured in `settings`, returning to `redirect_uri`."""

    def __init__(self, settings: Settings, redirect_uri: str) -> None:
        if not settings.github_oauth_enabled or settings.github_client_secret is None:
            raise ValueError("GitHub sign-in needs a client id and secret")
        self._client_id = settings.github_client_id
        self._client_secret = settings.github_client_secret.get_secret_value()
        self._base_url = settings.github_base_url.rstrip("/")
        self._api_url = settings.github_api_url.rstrip("/")
        self.redirect_uri = redirect_uri

    def authorization_url(self, state: str) -> str:
        """GitHub's consent page for this app, carrying `state`."""
        client = self._client()
        url, _ = client.create_authorization_url(
            f"{self._base_url}/login/oauth/authorize", state=state
        )
        return str(url)

    async def identity(self, code: str) -> GitHubIdentity:
        """The GitHub user who approved, from the authorization `code`."""
        async with self._client() as client:
            try:
                await client.fetch_token(f"{self._base_url}/login/oauth/access_token", code=code)
                user = await self._get(client, "/user")
                emails = await self._get(client, "/user/emails")
            except (OAuthError, HTTPError, OSError, ValueError) as exc:
                raise GitHubSignInError(f"GitHub sign-in failed: {exc}") from exc
        return _identity(user, emails)

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            token_endpoint_auth_method="client_secret_post",
            timeout=TIMEOUT_S,
        )

    async def _get(self, client: AsyncOAuth2Client, path: str) -> Any:
        response = await client.get(
            f"{self._api_url}{path}", headers={"Accept": "application/vnd.github+json"}
        )
        if response.status_code != 200:
            raise GitHubSignInError(f"GitHub answered {response.status_code} for {path}")
        return response.json()


def _identity(user: Any, emails: Any) -> GitHubIdentity:
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise GitHubSignInError("GitHub returned no user id")
    primary = _verified_primary(emails)
    if not primary:
        raise GitHubSignInError("your GitHub account has no verified primary email")
    login = str(user.get("login") or "")
    return GitHubIdentity(user["id"], login, str(user.get("name") or login), primary)


def _verified_primary(emails: Any) -> str | None:
    if not isinstance(emails, list):
        return None
    for entry in emails:
        if isinstance(entry, dict) and entry.get("primary") and entry.get("verified"):
            email = entry.get("email")
            return email if isinstance(email, str) else None
    return None
