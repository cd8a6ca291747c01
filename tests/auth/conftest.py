"""Auth fixtures: a fake GitHub on 127.0.0.1, and the auth service on a real database and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.service import AuthService
from tests.auth.fake_github import FakeGitHub
from tests.fixtures.servers import serve_in_thread


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


@pytest.fixture
def auth(engine: Engine, async_redis: aioredis.Redis) -> AuthService:
    return AuthService(engine, async_redis)
