"""The dashboard's service: check with the provider first, then store; tell the gateway."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from gateway.credentials.check import CredentialRejected, CredentialUnverified
from gateway.credentials.crypto import SecretBox
from gateway.credentials.service import BYOK_PROVIDERS, CredentialService, InvalidCredential
from gateway.credentials.store import CredentialExists, list_credentials
from gateway.credentials.vault import CredentialVault
from gateway.db.models import Organization
from gateway.db.sessions import tenant_session

BOX = SecretBox.from_secret_key("s" * 32)
GOOD = "sk-proj-GoodKey0123456789abcdEFGH"


def sandbox_like(secret: str) -> int | None:
    return 401 if "invalid" in secret else 200


class Provider:
    """A fake provider; by default it refuses keys containing 'invalid' (401), like the sandbox."""

    def __init__(self, reply: Callable[[str], int | None] = sandbox_like) -> None:
        self.reply = reply
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, provider: str, secret: str) -> int | None:
        self.asked.append((provider, secret))
        return self.reply(secret)


def rows(engine: Engine, org: Organization) -> int:
    with tenant_session(engine, org.id) as session:
        return len(list_credentials(session, org_id=org.id))


async def test_a_good_key_is_checked_then_stored(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org, provider = make_org(), Provider()
    changed: list[str] = []

    async def on_change(org_id: str) -> None:
        changed.append(org_id)

    service = CredentialService(engine, BOX, provider, on_change=on_change)
    info = await service.add(org.id, "openai", f"  {GOOD}\n")
    assert provider.asked == [("openai", GOOD)]  # trimmed before anything else
    assert (info.provider, info.last_four) == ("openai", "EFGH")
    assert [c.provider for c in await service.list_all(org.id)] == ["openai"]
    assert changed == [str(org.id)]
    with pytest.raises(CredentialExists):
        await service.add(org.id, "openai", GOOD)


async def test_a_key_the_provider_refuses_is_not_stored(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    service = CredentialService(engine, BOX, Provider())
    with pytest.raises(CredentialRejected):
        await service.add(org.id, "openai", "sk-invalid-0123456789abcdef")
    assert rows(engine, org) == 0


async def test_no_verdict_stores_nothing(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    for status in (None, 503):

        def answer(_secret: str, status: int | None = status) -> int | None:
            return status

        provider = Provider(answer)
        with pytest.raises(CredentialUnverified):
            await CredentialService(engine, BOX, provider).add(org.id, "groq", GOOD)
    assert rows(engine, org) == 0


@pytest.mark.parametrize(
    ("provider", "secret"),
    [
        ("ollama", GOOD),  # takes no key
        ("nonsense", GOOD),
        ("openai", "short"),
        ("openai", "sk-with space-0123456789"),
        ("openai", "sk-ünicode-0123456789abc"),
        ("openai", "x" * 600),
    ],
)
async def test_unusable_shapes_are_refused_before_asking(
    engine: Engine, make_org: Callable[..., Organization], provider: str, secret: str
) -> None:
    org, fake = make_org(), Provider()
    with pytest.raises(InvalidCredential):
        await CredentialService(engine, BOX, fake).add(org.id, provider, secret)
    assert fake.asked == [] and rows(engine, org) == 0


async def test_replace_and_remove_reach_the_gateway_at_once(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    vault = CredentialVault(engine, BOX, ttl_s=3_600)
    service = CredentialService(engine, BOX, Provider(), vault=vault)
    await service.add(org.id, "groq", GOOD)
    assert await vault.get_secret(str(org.id), "groq") == GOOD
    await service.replace(org.id, "groq", "gsk_Replacement0123456789")
    assert await vault.get_secret(str(org.id), "groq") == "gsk_Replacement0123456789"
    with pytest.raises(CredentialRejected):
        await service.replace(org.id, "groq", "gsk_invalid_0123456789")
    assert await vault.get_secret(str(org.id), "groq") == "gsk_Replacement0123456789"
    assert await service.remove(org.id, "groq")
    assert await vault.get_secret(str(org.id), "groq") is None
    assert not await service.remove(org.id, "groq")


def test_byok_providers_are_the_keyed_ones() -> None:
    assert set(BYOK_PROVIDERS) == {"openai", "anthropic", "groq", "together"}
