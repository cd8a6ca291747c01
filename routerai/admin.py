"""Administration behind the CLI: organizations and keys, on an engine built from settings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.db.engine import make_engine
from gateway.db.models import ApiKey, Organization
from gateway.db.orgs import create_organization, get_org, get_org_by_slug
from gateway.db.sessions import system_session, tenant_session
from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings
from gateway.tenancy import keys
from gateway.tenancy.resolver import invalidate

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "demo (printed by routerai up)"


@contextmanager
def engine_for(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.resolved_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def create_org(settings: Settings, *, name: str, plan: str) -> Organization:
    with engine_for(settings) as engine, system_session(engine) as session:
        return create_organization(session, name=name, plan=plan)


def find_org(engine: Engine, ref: str) -> Organization:
    """The organization whose slug or id is `ref`; LookupError naming it otherwise."""
    with system_session(engine) as session:
        try:
            org = get_org(session, org_id=uuid.UUID(ref))
        except ValueError:
            org = get_org_by_slug(session, slug=ref.lower())
    if org is None:
        raise LookupError(f"no organization with slug or id {ref!r}")
    return org


def create_key(settings: Settings, *, org: str, environment: str, name: str) -> tuple[ApiKey, str]:
    with engine_for(settings) as engine:
        organization = find_org(engine, org)
        with tenant_session(engine, organization.id) as session:
            return keys.create_api_key(
                session, org=organization, name=name, environment=environment
            )


def list_keys(settings: Settings, *, org: str) -> list[ApiKey]:
    with engine_for(settings) as engine:
        organization = find_org(engine, org)
        with tenant_session(engine, organization.id) as session:
            return keys.list_api_keys(session, org_id=organization.id)


def revoke_key(settings: Settings, *, key_id: uuid.UUID, org: str | None) -> ApiKey:
    """Revoke the key and drop its cached tenant context so every gateway refuses it."""
    with engine_for(settings) as engine:
        candidates = [find_org(engine, org)] if org else _all_orgs(engine)
        for organization in candidates:
            with tenant_session(engine, organization.id) as session:
                try:
                    row = keys.revoke_api_key(session, org_id=organization.id, key_id=key_id)
                except keys.KeyNotFoundError:
                    continue
            _forget(settings, [row.key_hash])
            return row
    raise LookupError(f"no API key with id {key_id}")


def seed_demo(settings: Settings) -> tuple[Organization, str]:
    """The demo organization (created on first run) with a fresh key; older demo keys revoked."""
    with engine_for(settings) as engine:
        with system_session(engine) as session:
            org = get_org_by_slug(session, slug=DEMO_SLUG) or create_organization(
                session, name="Demo", plan="growth", slug=DEMO_SLUG
            )
        with tenant_session(engine, org.id) as session:
            old = session.exec(
                select(ApiKey).where(ApiKey.org_id == org.id, ApiKey.name == DEMO_KEY_NAME)
            ).all()
            for row in old:
                keys.revoke_api_key(session, org_id=org.id, key_id=row.id)
            _, full_key = keys.create_api_key(
                session, org=org, name=DEMO_KEY_NAME, environment="dev"
            )
    _forget(settings, [row.key_hash for row in old])
    return org, full_key


def _all_orgs(engine: Engine) -> list[Organization]:
    with system_session(engine) as session:
        return list(session.exec(select(Organization)).all())


def _forget(settings: Settings, key_hashes: list[str]) -> None:
    if not key_hashes:
        return

    async def run() -> None:
        url, _embedded = resolve_redis_url(settings)
        client = aioredis.Redis.from_url(url)
        try:
            await invalidate(client, key_hashes)
        finally:
            await client.aclose()

    asyncio.run(run())
