"""Auth fixtures: a fake GitHub on 127.0.0.1, and the auth service on a real database and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.mail import SmtpMailer
from gateway.auth.service import AuthService
from tests.auth.fake_github import FakeGitHub
from tests.fixtures.mail import Mailbox, smtp_server
from tests.fixtures.servers import serve_in_thread

PUBLIC_URL = "https://app.routerai.test"
SENDER = "RouterAI <no-reply@routerai.test>"


@pytest.fixture(scope="module")
def github_server() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def fake_github(github_server: tuple[FakeGitHub, str]) -> FakeGitHub:
    fake, _ = github_server
    fake.approve_as = None
    fake.codes.clear()
    fake.tokens.clear()
    return fake


@pytest.fixture(scope="module")
def mail_server() -> Iterator[tuple[Mailbox, str]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def mailbox(mail_server: tuple[Mailbox, str]) -> Mailbox:
    box, _ = mail_server
    box.messages.clear()
    return box


@pytest.fixture
def auth(
    engine: Engine, async_redis: aioredis.Redis, mail_server: tuple[Mailbox, str]
) -> AuthService:
    _, url = mail_server
    return AuthService(
        engine, async_redis, mailer=SmtpMailer(url, SENDER), public_url=PUBLIC_URL + "/"
    )
