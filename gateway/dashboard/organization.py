"""The organization itself, as the settings page changes it: name, slug, deletion.

Admins rename (Action.CONFIGURE); only owners delete (Action.DELETE_ORGANIZATION),
typing the organization's name to confirm. The slug is part of every API key
(`gw_<slug>_…`), so changing it stops the existing keys: the page says so, and the
cached tenant contexts are dropped so the gateway refuses them at once.

Deleting removes the organization row; every tenant-owned row goes with it (the foreign
keys cascade). The keys' hashes are read in the same transaction and their cached tenant
contexts dropped after the commit, so no gateway process can reload one in between.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.auth.permissions import Action, Actor, require
from gateway.billing.plans import PlanName
from gateway.db.models import ApiKey, Organization
from gateway.db.orgs import NAME_MAX_LENGTH, get_org_by_slug
from gateway.db.sessions import system_session, tenant_session
from gateway.db.slugs import validate_slug
from gateway.tenancy.changes import forget_org
from gateway.tenancy.resolver import invalidate


@dataclass(frozen=True, slots=True)
class OrgDetails:
    id: uuid.UUID
    name: str
    slug: str
    plan: PlanName
    created_at: datetime


class OrganizationManager:
    """Rename, re-slug and delete the actor's organization."""

    def __init__(self, engine: Engine, redis: aioredis.Redis) -> None:
        self._engine = engine
        self._redis = redis

    async def details(self, actor: Actor) -> OrgDetails:
        require(actor.role, Action.VIEW)
        return await asyncio.to_thread(self._details, actor.org_id)

    async def update(self, actor: Actor, *, name: str, slug: str) -> OrgDetails:
        """A new name and slug (ValueError when invalid or the slug is taken)."""
        require(actor.role, Action.CONFIGURE)
        clean_name = _valid_name(name)
        clean_slug = validate_slug(slug.strip().lower())
        details, slug_changed = await asyncio.to_thread(
            self._update, actor.org_id, clean_name, clean_slug
        )
        if slug_changed:  # keys carry the old slug: the gateway must reload and refuse them
            await forget_org(self._engine, self._redis, actor.org_id)
        return details

    async def delete(self, actor: Actor, *, confirm_name: str) -> None:
        """Delete the organization and everything it owns; its keys stop at once."""
        require(actor.role, Action.DELETE_ORGANIZATION)
        hashes = await asyncio.to_thread(self._delete, actor.org_id, confirm_name)
        await invalidate(self._redis, hashes)

    def _details(self, org_id: uuid.UUID) -> OrgDetails:
        with tenant_session(self._engine, org_id) as session:
            return _details(_org(session.get(Organization, org_id)))

    def _update(self, org_id: uuid.UUID, name: str, slug: str) -> tuple[OrgDetails, bool]:
        if self._slug_taken(slug, by_other_than=org_id):
            raise ValueError(f"the slug {slug!r} is already taken")
        with tenant_session(self._engine, org_id) as session:
            org = _org(session.get(Organization, org_id, with_for_update=True))
            slug_changed = slug != org.slug
            org.name, org.slug, org.updated_at = name, slug, datetime.now(UTC)
            session.add(org)
            session.flush()  # a concurrent taker of the slug fails here, on the unique key
            return _details(org), slug_changed

    def _slug_taken(self, slug: str, *, by_other_than: uuid.UUID) -> bool:
        # A question about every organization (slugs are unique, and public: each key
        # carries its own), so it is asked in a system session.
        with system_session(self._engine) as session:
            holder = get_org_by_slug(session, slug=slug)
        return holder is not None and holder.id != by_other_than

    def _delete(self, org_id: uuid.UUID, confirm_name: str) -> list[str]:
        with tenant_session(self._engine, org_id) as session:
            org = _org(session.get(Organization, org_id, with_for_update=True))
            if confirm_name.strip() != org.name:
                raise ValueError("type the organization's name exactly to confirm")
            if org.stripe_subscription_id is not None and org.plan is not PlanName.FREE:
                raise ValueError(
                    "cancel the subscription in the billing portal before deleting the organization"
                )
            hashes = list(session.exec(select(ApiKey.key_hash).where(ApiKey.org_id == org_id)))
            session.delete(org)
        return hashes


def _org(org: Organization | None) -> Organization:
    if org is None:
        raise LookupError("the organization no longer exists")
    return org


def _details(org: Organization) -> OrgDetails:
    return OrgDetails(org.id, org.name, org.slug, org.plan, org.created_at)


def _valid_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise ValueError("an organization needs a name")
    if len(clean) > NAME_MAX_LENGTH:
        raise ValueError(f"organization names are at most {NAME_MAX_LENGTH} characters")
    return clean
