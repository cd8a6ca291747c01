"""The table's functions, on SQLite and PostgreSQL: ciphertext and last four only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from gateway.credentials.crypto import SecretBox
from gateway.credentials.store import (
    CredentialExists,
    CredentialNotFound,
    add_credential,
    list_credentials,
    read_secret,
    remove_credential,
    replace_credential,
)
from gateway.db.models import Organization
from gateway.db.sessions import tenant_session

BOX = SecretBox.from_secret_key("s" * 32)
OPENAI_KEY = "sk-proj-OpenAIKeyForTests0123456789abcd"
GROQ_KEY = "gsk_GroqKeyForTests0123456789wxyz"


def test_add_list_read(engine: Engine, make_org: Callable[..., Organization]) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        info = add_credential(session, box=BOX, org_id=org.id, provider="openai", secret=OPENAI_KEY)
        add_credential(session, box=BOX, org_id=org.id, provider="groq", secret=GROQ_KEY)
    assert (info.provider, info.last_four, info.masked) == ("openai", "abcd", "openai …abcd")
    with tenant_session(engine, org.id) as session:
        listed = list_credentials(session, org_id=org.id)
        secret = read_secret(session, box=BOX, org_id=org.id, provider="openai")
        missing = read_secret(session, box=BOX, org_id=org.id, provider="together")
    assert [(c.provider, c.last_four) for c in listed] == [("groq", "wxyz"), ("openai", "abcd")]
    assert all(c.created_at.tzinfo is not None for c in listed)
    assert secret is not None and secret.reveal() == OPENAI_KEY
    assert missing is None
    assert OPENAI_KEY not in repr(listed) + repr(secret)


def test_the_stored_row_holds_no_plaintext(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        add_credential(session, box=BOX, org_id=org.id, provider="openai", secret=OPENAI_KEY)
        row = session.execute(
            text("SELECT encrypted_secret, last_four FROM provider_credentials")
        ).one()
    stored = bytes(row[0])
    assert OPENAI_KEY.encode() not in stored and OPENAI_KEY[:-4].encode() not in stored
    assert row[1] == "abcd"


def test_add_twice_is_refused_replace_swaps(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        first = add_credential(
            session, box=BOX, org_id=org.id, provider="openai", secret=OPENAI_KEY
        )
    with pytest.raises(CredentialExists), tenant_session(engine, org.id) as session:
        add_credential(session, box=BOX, org_id=org.id, provider="openai", secret=OPENAI_KEY)
    new_key = "sk-proj-ReplacedKey0123456789zzzz"
    with tenant_session(engine, org.id) as session:
        replaced = replace_credential(
            session, box=BOX, org_id=org.id, provider="openai", secret=new_key
        )
        secret = read_secret(session, box=BOX, org_id=org.id, provider="openai")
    assert replaced.last_four == "zzzz" and replaced.created_at == first.created_at
    assert replaced.updated_at >= first.updated_at
    assert secret is not None and secret.reveal() == new_key
    with pytest.raises(CredentialNotFound), tenant_session(engine, org.id) as session:
        replace_credential(session, box=BOX, org_id=org.id, provider="groq", secret=GROQ_KEY)


def test_remove(engine: Engine, make_org: Callable[..., Organization]) -> None:
    org = make_org()
    with tenant_session(engine, org.id) as session:
        add_credential(session, box=BOX, org_id=org.id, provider="openai", secret=OPENAI_KEY)
    with tenant_session(engine, org.id) as session:
        assert remove_credential(session, org_id=org.id, provider="openai")
        assert not remove_credential(session, org_id=org.id, provider="openai")
        assert list_credentials(session, org_id=org.id) == []


def test_organizations_see_only_their_own(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    a, b = make_org("A"), make_org("B")
    with tenant_session(engine, a.id) as session:
        add_credential(session, box=BOX, org_id=a.id, provider="openai", secret=OPENAI_KEY)
    with tenant_session(engine, b.id) as session:
        assert list_credentials(session, org_id=b.id) == []
        assert read_secret(session, box=BOX, org_id=b.id, provider="openai") is None
        add_credential(session, box=BOX, org_id=b.id, provider="openai", secret=GROQ_KEY)
    with tenant_session(engine, a.id) as session:
        secret = read_secret(session, box=BOX, org_id=a.id, provider="openai")
    assert secret is not None and secret.reveal() == OPENAI_KEY
