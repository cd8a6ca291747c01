"""GitHub's authorization-code flow, against a fake GitHub that speaks its protocol."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.auth.github import GitHubOAuth, GitHubSignInError, new_state
from gateway.settings import Settings
from tests.auth.fake_github import CLIENT_ID, CLIENT_SECRET, FakeGitHub, FakeUser

REDIRECT = "http://127.0.0.1:3000/auth/github/callback"


@pytest.fixture
def oauth(github_server: tuple[FakeGitHub, str]) -> GitHubOAuth:
    _, url = github_server
    settings = Settings(
        ROUTERAI_GITHUB_CLIENT_ID=CLIENT_ID,
        ROUTERAI_GITHUB_CLIENT_SECRET=CLIENT_SECRET,
        ROUTERAI_GITHUB_BASE_URL=url,
        ROUTERAI_GITHUB_API_URL=url,
    )
    return GitHubOAuth(settings, REDIRECT)


def approve(oauth: GitHubOAuth, state: str) -> str:
    """What the browser does: open the consent page, follow it back; returns the code."""
    response = httpx.get(oauth.authorization_url(state), follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def test_the_consent_url_carries_the_app_scope_state_and_return_address(
    oauth: GitHubOAuth,
) -> None:
    query = parse_qs(urlsplit(oauth.authorization_url("s-123")).query)

    assert query["client_id"] == [CLIENT_ID]
    assert query["state"] == ["s-123"]
    assert query["redirect_uri"] == [REDIRECT]
    assert query["response_type"] == ["code"]
    assert "user:email" in query["scope"][0]


async def test_a_code_becomes_the_users_identity_with_the_verified_primary_email(
    oauth: GitHubOAuth, fake_github: FakeGitHub
) -> None:
    fake_github.approve_as = FakeUser(101, "octo", "Octo Cat", "octo@example.com")

    identity = await oauth.identity(approve(oauth, new_state()))

    assert (identity.github_id, identity.login, identity.email) == (101, "octo", "octo@example.com")


async def test_a_code_works_once(oauth: GitHubOAuth, fake_github: FakeGitHub) -> None:
    fake_github.approve_as = FakeUser(102, "mona", "Mona", "mona@example.com")
    code = approve(oauth, new_state())
    await oauth.identity(code)

    with pytest.raises(GitHubSignInError):
        await oauth.identity(code)


async def test_an_unverified_primary_email_is_refused(
    oauth: GitHubOAuth, fake_github: FakeGitHub
) -> None:
    fake_github.approve_as = FakeUser(103, "eve", "Eve", "eve@example.com", verified=False)

    with pytest.raises(GitHubSignInError, match="verified"):
        await oauth.identity(approve(oauth, new_state()))


def test_github_sign_in_needs_a_client_id_and_secret() -> None:
    settings = Settings(ROUTERAI_GITHUB_CLIENT_ID=CLIENT_ID)

    assert not settings.github_oauth_enabled
    with pytest.raises(ValueError):
        GitHubOAuth(settings, REDIRECT)
