"""The gateway's read side: decrypted keys, cached briefly, read off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import select

from gateway.credentials.crypto import SecretBox
from gateway.credentials.store import add_credential, replace_credential
from gateway.credentials.vault import CredentialVault
from gateway.db.models import Organization, ProviderCredential
from gateway.db.sessions import tenant_session

BOX = SecretBox.from_secret_key("s" * 32)
KEY = "sk-proj-VaultKey0123456789abcdWXYZ"


def store(
    engine: Engine, org: Organization, provider: str, secret: str, replace: bool = False
) -> None:
    write = replace_credential if replace else add_credential
    with tenant_session(engine, org.id) as session:
        write(session, box=BOX, org_id=org.id, provider=provider, secret=secret)


def mine(org: Organization) -> Any:
    return select(ProviderCredential).where(ProviderCredential.org_id == org.id)


def count_selects(engine: Engine) -> list[str]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "provider_credentials" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return seen


async def test_get_secret(engine: Engine, make_org: Callable[..., Organization]) -> None:
    org = make_org()
    store(engine, org, "openai", KEY)
    vault = CredentialVault(engine, BOX)
    assert await vault.get_secret(str(org.id), "openai") == KEY
    assert await vault.get_secret(str(org.id), "groq") is None
    held = await vault.get(str(org.id), "openai")
    assert held is not None and KEY not in repr(held) and KEY not in repr(vault)


async def test_entries_live_for_the_ttl(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org, clock = make_org(), [0.0]
    store(engine, org, "openai", KEY)
    vault = CredentialVault(engine, BOX, ttl_s=30, clock=lambda: clock[0])
    assert await vault.get_secret(str(org.id), "openai") == KEY
    store(engine, org, "openai", "sk-proj-Rotated0123456789", replace=True)
    selects = count_selects(engine)
    clock[0] = 29.9
    assert await vault.get_secret(str(org.id), "openai") == KEY  # cached
    assert selects == []
    clock[0] = 30.0
    assert await vault.get_secret(str(org.id), "openai") == "sk-proj-Rotated0123456789"
    assert len(selects) == 1
    vault.forget(str(org.id))
    assert await vault.get_secret(str(org.id), "openai") == "sk-proj-Rotated0123456789"
    assert len(selects) == 2


async def test_absence_is_cached_too(engine: Engine, make_org: Callable[..., Organization]) -> None:
    org = make_org()
    vault = CredentialVault(engine, BOX)
    selects = count_selects(engine)
    for _ in range(3):
        assert await vault.get_secret(str(org.id), "groq") is None
    assert len(selects) == 1


async def test_concurrent_misses_share_one_read(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    store(engine, org, "openai", KEY)
    vault = CredentialVault(engine, BOX)
    selects = count_selects(engine)
    results = await asyncio.gather(*(vault.get_secret(str(org.id), "openai") for _ in range(20)))
    assert results == [KEY] * 20 and len(selects) == 1


async def test_a_row_that_does_not_decrypt_reads_as_absent(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    a, b = make_org("A"), make_org("B")
    store(engine, a, "openai", KEY)
    store(engine, b, "openai", "sk-proj-OrgBKey0123456789")
    # Move A's ciphertext into B's row: AES-GCM's associated data (the org id) refuses it.
    with tenant_session(engine, a.id) as session:
        stolen = session.exec(mine(a)).one().encrypted_secret
    with tenant_session(engine, b.id) as session:
        row = session.exec(mine(b)).one()
        row.encrypted_secret = stolen
        session.add(row)
    vault = CredentialVault(engine, BOX)
    assert await vault.get_secret(str(b.id), "openai") is None
    assert await vault.get_secret(str(a.id), "openai") == KEY
    wrong_key = CredentialVault(engine, SecretBox.from_secret_key("t" * 32))
    assert await wrong_key.get_secret(str(a.id), "openai") is None
