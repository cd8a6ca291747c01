"""Two organizations set up to attack each other: keys of every kind, members of every role.

Acme is the victim of the allow-list attacks (it may use only `gpt-4o-mini` and
`text-embedding-3-small`); Globex brings its own OpenAI key (BYOK). Each has a live prod
key; Acme also has a dev key, a revoked key and a key rotated out (revoked after its
replacement was made).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from gateway.credentials.crypto import SecretBox
from gateway.credentials.store import add_credential
from gateway.db.enums import MemberRole
from gateway.db.members import add_member
from gateway.db.models import Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.settings import DEVELOPMENT_SECRET_KEY
from gateway.tenancy.keys import create_api_key, parse_api_key, revoke_api_key
from tests.gateway.conftest import Tenant

ACME_MODELS = ["gpt-4o-mini", "text-embedding-3-small"]
GLOBEX_PROVIDER_SECRET = "sk-globex-" + "g" * 30
LIMITS = {"rpm_limit": 100_000, "tpm_limit": 100_000_000}


@dataclass(frozen=True)
class World:
    acme: Tenant
    globex: Tenant
    acme_dev: str
    acme_revoked: str
    acme_rotated_out: str
    acme_rotated_in: str

    @property
    def orgs(self) -> tuple[Organization, Organization]:
        return self.acme.org, self.globex.org

    def secrets_of_both(self) -> list[str]:
        """What a refusal must never echo: either organization's id, slug or name."""
        return [
            text
            for org in self.orgs
            for text in (str(org.id), org.id.hex, org.slug, org.name)
            if len(text) >= 4
        ]


def build_world(engine: Engine, make_tenant: Callable[..., Tenant]) -> World:
    acme = make_tenant("Acme", plan="growth", allowed_models=ACME_MODELS, **LIMITS)
    globex = make_tenant("Globex", plan="growth", **LIMITS)
    with tenant_session(engine, acme.org.id) as session:
        _, dev = create_api_key(session, org=acme.org, name="dev", environment="dev")
        revoked_row, revoked = create_api_key(session, org=acme.org, name="old", environment="prod")
        old_row, rotated_out = create_api_key(session, org=acme.org, name="ci", environment="prod")
        _, rotated_in = create_api_key(session, org=acme.org, name="ci 2", environment="prod")
        for row in (revoked_row, old_row):
            revoke_api_key(session, org_id=acme.org.id, key_id=row.id)
    box = SecretBox.from_secret_key(DEVELOPMENT_SECRET_KEY)
    with tenant_session(engine, globex.org.id) as session:
        add_credential(
            session,
            box=box,
            org_id=globex.org.id,
            provider="openai",
            secret=GLOBEX_PROVIDER_SECRET,
        )
    for org in (acme.org, globex.org):
        add_members_of_every_role(engine, org)
    return World(acme, globex, dev, revoked, rotated_out, rotated_in)


def add_members_of_every_role(engine: Engine, org: Organization) -> None:
    for role in MemberRole:
        with system_session(engine) as session:
            user = create_user(
                session, email=f"{role.value}-{secrets.token_hex(4)}@{org.slug}.test"
            )
        with tenant_session(engine, org.id) as session:
            add_member(session, org_id=org.id, user_id=user.id, role=role)


def forged_keys(world: World) -> dict[str, str]:
    """Keys an attacker holding one organization's key might try against the other."""
    acme, globex = parse_api_key(world.acme.key), parse_api_key(world.globex.key)
    dev = parse_api_key(world.acme_dev)
    assert acme is not None and globex is not None and dev is not None
    stranger = "nobody" + uuid.uuid4().hex[:8]
    changed = ("B" if acme.secret[0] == "A" else "A") + acme.secret[1:]
    return {
        "globex's secret under acme's slug": f"gw_{acme.slug}_prod_{globex.secret}",
        "acme's secret under globex's slug": f"gw_{globex.slug}_prod_{acme.secret}",
        "acme's prod key relabelled dev": f"gw_{acme.slug}_dev_{acme.secret}",
        "acme's dev key relabelled prod": f"gw_{acme.slug}_prod_{dev.secret}",
        "acme's revoked key": world.acme_revoked,
        "acme's key rotated out": world.acme_rotated_out,
        "an unknown organization's slug": f"gw_{stranger}_prod_{acme.secret}",
        "acme's slug in capitals": f"gw_{acme.slug.upper()}_prod_{acme.secret}",
        "the scheme in capitals": "GW" + world.acme.key[2:],
        "one secret character changed": f"gw_{acme.slug}_prod_{changed}",
        "the secret in the other case": f"gw_{acme.slug}_prod_{acme.secret.swapcase()}",
        "the key cut short": world.acme.key[:-1],
        "the key lengthened": world.acme.key + "A",
        "both keys joined": f"{world.acme.key},{world.globex.key}",
        "acme's slug with a path": f"gw_{acme.slug}/../{globex.slug}_prod_{acme.secret}",
    }
