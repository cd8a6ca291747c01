"""API keys: format, entropy, hash-only storage, parsing, revocation and resolution."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from gateway.db.enums import KeyEnvironment
from gateway.db.models import ApiKey, Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.tenancy.keys import (
    MIN_SECRET_LENGTH,
    SECRET_ALPHABET,
    SECRET_LENGTH,
    KeyNotFoundError,
    ParsedKey,
    create_api_key,
    display_prefix,
    find_api_key_by_hash,
    generate_api_key,
    hash_api_key,
    list_api_keys,
    parse_api_key,
    resolve_api_key,
    revoke_api_key,
)

MakeOrg = Callable[..., Organization]
KEY_FORMAT = re.compile(r"gw_([a-z0-9-]+)_(prod|dev)_([A-Za-z0-9]+)")


@pytest.mark.parametrize(("slug", "env"), [("acme", "prod"), ("my-team-2", "dev")])
def test_generated_key_format(slug: str, env: str) -> None:
    full_key, prefix, key_hash = generate_api_key(slug, env)
    match = KEY_FORMAT.fullmatch(full_key)
    assert match is not None
    assert match.groups()[:2] == (slug, env)
    assert len(match.group(3)) == SECRET_LENGTH
    assert prefix == f"gw_{slug}_{env}_{match.group(3)[:4]}…"
    assert full_key.startswith(prefix.removesuffix("…"))
    assert key_hash == hash_api_key(full_key)
    assert re.fullmatch(r"[0-9a-f]{64}", key_hash)


def test_secrets_carry_at_least_128_bits_and_never_repeat() -> None:
    assert "_" not in SECRET_ALPHABET
    assert SECRET_LENGTH * math.log2(len(SECRET_ALPHABET)) >= 128
    assert MIN_SECRET_LENGTH * math.log2(len(SECRET_ALPHABET)) >= 128
    secrets = {generate_api_key("acme", "prod")[0].rsplit("_", 1)[1] for _ in range(2000)}
    assert len(secrets) == 2000
    used = set("".join(secrets))
    assert used == set(SECRET_ALPHABET)  # the whole alphabet is drawn from


def test_hash_is_sha256_hex() -> None:
    assert hash_api_key("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_parse_round_trip() -> None:
    full_key, _, _ = generate_api_key("acme-labs", KeyEnvironment.DEV)
    parsed = parse_api_key(full_key)
    assert parsed == ParsedKey("acme-labs", KeyEnvironment.DEV, full_key.rsplit("_", 1)[1])
    slug, env, secret = parsed
    assert f"gw_{slug}_{env}_{secret}" == full_key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "gw_acme_prod",
        "sk-abc",
        "gw_acme_staging_" + "a" * 32,
        "xx_acme_prod_" + "a" * 32,
        "gw_Acme_prod_" + "a" * 32,
        "gw_acme_corp_prod_" + "a" * 32,
        "gw_ac_prod_" + "a" * 32,
        "gw_acme_prod_" + "a" * (MIN_SECRET_LENGTH - 1),
        "gw_acme_prod_" + "a" * 65,
        "gw_acme_prod_" + "a" * 31 + "-",
        "gw_acme_prod_" + "a" * 31 + "é",
        "gw_acme_prod_" + "a" * 32 + "\n",
    ],
)
def test_malformed_keys_do_not_parse(key: str) -> None:
    assert parse_api_key(key) is None


def test_generation_refuses_bad_slugs_and_environments() -> None:
    with pytest.raises(ValueError, match="invalid slug"):
        generate_api_key("acme_corp", "prod")
    with pytest.raises(ValueError, match="unknown key environment 'staging'"):
        generate_api_key("acme", "staging")


def test_display_prefix() -> None:
    assert display_prefix("gw_acme_prod_AbCdEfGh") == "gw_acme_prod_AbCd…"


def test_the_full_key_is_stored_only_as_its_hash(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org("Acme")
    with system_session(engine) as session:
        user = create_user(session, email="ada@example.com")
    with tenant_session(engine, org.id) as session:
        key, full_key = create_api_key(
            session, org=org, name="  production  ", environment="prod", created_by=user.id
        )
    assert (key.name, key.environment, key.created_by) == ("production", "prod", user.id)
    assert key.key_hash == hash_api_key(full_key)
    secret = full_key.rsplit("_", 1)[1]
    with tenant_session(engine, org.id) as session:
        row = session.execute(text("SELECT * FROM api_keys")).mappings().one()
    for column, value in row.items():
        assert full_key not in str(value), column
        assert secret not in str(value), column


def test_create_refuses_bad_names(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        for name in ("", "   ", "x" * 101):
            with pytest.raises(ValueError, match="needs a name"):
                create_api_key(session, org=org, name=name, environment="prod")
        with pytest.raises(ValueError, match="unknown key environment"):
            create_api_key(session, org=org, name="k", environment="test")


def test_list_find_and_revoke(engine: Engine, make_org: MakeOrg) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        first, first_key = create_api_key(session, org=org, name="one", environment="prod")
        second, _ = create_api_key(session, org=org, name="two", environment="dev")
    with tenant_session(engine, org.id) as session:
        assert {k.id for k in list_api_keys(session, org_id=org.id)} == {first.id, second.id}
        found = find_api_key_by_hash(session, key_hash=hash_api_key(first_key))
        assert found is not None and found.id == first.id
        assert find_api_key_by_hash(session, key_hash=hash_api_key(first_key + "x")) is None
        revoked = revoke_api_key(session, org_id=org.id, key_id=first.id)
        assert revoked.revoked_at is not None and not revoked.is_active
        when = revoked.revoked_at
        assert revoke_api_key(session, org_id=org.id, key_id=first.id).revoked_at == when
    with tenant_session(engine, org.id) as session:
        assert [k.id for k in list_api_keys(session, org_id=org.id, include_revoked=False)] == [
            second.id
        ]


def test_revoke_refuses_another_orgs_key(engine: Engine, make_org: MakeOrg) -> None:
    mine, theirs = make_org("Mine"), make_org("Theirs")
    with tenant_session(engine, theirs.id) as session:
        their_key, _ = create_api_key(session, org=theirs, name="theirs", environment="prod")
    with tenant_session(engine, mine.id) as session, pytest.raises(KeyNotFoundError):
        revoke_api_key(session, org_id=mine.id, key_id=their_key.id)
    with tenant_session(engine, mine.id) as session, pytest.raises(KeyNotFoundError):
        revoke_api_key(session, org_id=mine.id, key_id=uuid.uuid4())
    with tenant_session(engine, theirs.id) as session:
        row = session.get(ApiKey, their_key.id)
        assert row is not None and row.revoked_at is None


def test_resolve_api_key(engine: Engine, make_org: MakeOrg) -> None:
    org, other = make_org("Acme"), make_org("Other")
    with tenant_session(engine, org.id) as session:
        key, full_key = create_api_key(session, org=org, name="k", environment="prod")
    with tenant_session(engine, other.id) as session:
        other_key, other_full = create_api_key(session, org=other, name="k", environment="dev")

    resolved = resolve_api_key(engine, full_key=full_key)
    assert resolved is not None
    assert (resolved.org.id, resolved.key.id) == (org.id, key.id)

    secret = full_key.rsplit("_", 1)[1]
    last = "Y" if secret.endswith("X") else "X"  # one character changed, whatever it was
    forged = [
        f"gw_{other.slug}_prod_{secret}",  # right secret, another org's slug
        f"gw_{org.slug}_dev_{secret}",  # right secret, wrong environment
        f"gw_{org.slug}_prod_{secret[:-1]}{last}",
        f"gw_nobody_prod_{secret}",
        "not-a-key",
    ]
    for candidate in forged:
        assert resolve_api_key(engine, full_key=candidate) is None, candidate

    with tenant_session(engine, org.id) as session:
        revoke_api_key(session, org_id=org.id, key_id=key.id)
    assert resolve_api_key(engine, full_key=full_key) is None
    still = resolve_api_key(engine, full_key=other_full)
    assert still is not None and still.key.id == other_key.id


def test_keys_are_listed_only_for_their_org(engine: Engine, make_org: MakeOrg) -> None:
    a, b = make_org("A team"), make_org("B team")
    with tenant_session(engine, a.id) as session:
        create_api_key(session, org=a, name="a", environment="prod")
    with tenant_session(engine, b.id) as session:
        assert list_api_keys(session, org_id=b.id) == []
        if engine.dialect.name == "postgresql":  # RLS: even an unfiltered query sees nothing
            assert session.exec(select(ApiKey)).all() == []
