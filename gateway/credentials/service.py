"""`CredentialService`: what the dashboard calls to manage a tenant's own provider keys (BYOK).

Adding or replacing a key validates its shape, asks the provider whether it accepts it
(`check.check_credential`, through the injected `ProbeCall`) and only then stores it,
encrypted, in a worker thread. Every change forgets the key in this process's vault and calls
`on_change(org_id)`, which the composition root points at dropping the organization's cached
tenant contexts (they carry `byok_providers`), so every replica routes with the change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine

from gateway.credentials.check import ProbeCall, check_credential
from gateway.credentials.crypto import SecretBox
from gateway.credentials.store import (
    CredentialInfo,
    add_credential,
    list_credentials,
    remove_credential,
    replace_credential,
)
from gateway.credentials.vault import CredentialVault
from gateway.db.sessions import tenant_session
from gateway.pricing.catalog import PROVIDERS

KEYLESS_PROVIDERS = frozenset({"ollama"})
BYOK_PROVIDERS: tuple[str, ...] = tuple(p for p in PROVIDERS if p not in KEYLESS_PROVIDERS)
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512

OnChange = Callable[[str], Awaitable[None]]


class InvalidCredential(ValueError):
    """The provider or the key's shape is not acceptable (nothing was asked or stored)."""


def clean_secret(provider: str, secret: str) -> str:
    """The key without surrounding whitespace; InvalidCredential for an unusable shape."""
    if provider not in BYOK_PROVIDERS:
        raise InvalidCredential(
            f"{provider!r} takes no key of your own; choose one of: {', '.join(BYOK_PROVIDERS)}"
        )
    value = secret.strip()
    if not MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH:
        raise InvalidCredential(
            f"a {provider} key is {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters long"
        )
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        raise InvalidCredential(f"a {provider} key holds printable ASCII without spaces")
    return value


class CredentialService:
    """Add, replace, remove and list an organization's provider keys."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        probe: ProbeCall,
        *,
        vault: CredentialVault | None = None,
        on_change: OnChange | None = None,
    ) -> None:
        self._engine = engine
        self._box = box
        self._probe = probe
        self._vault = vault
        self._on_change = on_change

    async def add(self, org_id: uuid.UUID, provider: str, secret: str) -> CredentialInfo:
        """Check and store a new key: InvalidCredential, CredentialRejected,
        CredentialUnverified or CredentialExists when it is not stored."""
        value = clean_secret(provider, secret)
        await check_credential(provider, value, call=self._probe)
        info = await asyncio.to_thread(self._write, add_credential, org_id, provider, value)
        await self._changed(org_id, provider)
        return info

    async def replace(self, org_id: uuid.UUID, provider: str, secret: str) -> CredentialInfo:
        """Check and swap in a new key (CredentialNotFound when there was none)."""
        value = clean_secret(provider, secret)
        await check_credential(provider, value, call=self._probe)
        info = await asyncio.to_thread(self._write, replace_credential, org_id, provider, value)
        await self._changed(org_id, provider)
        return info

    async def remove(self, org_id: uuid.UUID, provider: str) -> bool:
        removed = await asyncio.to_thread(self._remove, org_id, provider)
        if removed:
            await self._changed(org_id, provider)
        return removed

    async def list_all(self, org_id: uuid.UUID) -> list[CredentialInfo]:
        """The organization's keys, masked."""
        return await asyncio.to_thread(self._list, org_id)

    def _write(
        self,
        write: Callable[..., CredentialInfo],
        org_id: uuid.UUID,
        provider: str,
        secret: str,
    ) -> CredentialInfo:
        with tenant_session(self._engine, org_id) as session:
            return write(session, box=self._box, org_id=org_id, provider=provider, secret=secret)

    def _remove(self, org_id: uuid.UUID, provider: str) -> bool:
        with tenant_session(self._engine, org_id) as session:
            return remove_credential(session, org_id=org_id, provider=provider)

    def _list(self, org_id: uuid.UUID) -> list[CredentialInfo]:
        with tenant_session(self._engine, org_id) as session:
            return list_credentials(session, org_id=org_id)

    async def _changed(self, org_id: uuid.UUID, provider: str) -> None:
        if self._vault is not None:
            self._vault.forget(str(org_id), provider)
        if self._on_change is not None:
            await self._on_change(str(org_id))

    def __repr__(self) -> str:
        return "CredentialService()"
