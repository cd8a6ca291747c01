"""`CredentialVault`: the gateway's read side of tenants' provider keys, cached in process.

`get_secret(org_id, provider)` answers from a per-process cache whose entries live `ttl_s`
(absent keys too), else reads and decrypts the row in a worker thread, so the event loop never
waits on the database. Concurrent misses for one (org, provider) share a single read. Entries
hold `ProviderSecret`s, whose repr shows four characters at most.

A key replaced or removed through `CredentialService` is forgotten at once in that process;
other processes pick the change up when their entry expires (`ttl_s`, 30 s by default).
A row that does not decrypt (tampered, or the secret key changed) reads as absent, and is
reported through `logger` by organization and provider only.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Engine

from gateway.credentials.crypto import CredentialDecryptError, SecretBox
from gateway.credentials.secret import ProviderSecret
from gateway.credentials.store import read_secret
from gateway.db.sessions import tenant_session

logger = logging.getLogger(__name__)

_MAX_ENTRIES = 100_000
_Key = tuple[str, str]


class CredentialVault:
    """Decrypted provider keys for the gateway, by (org id, provider)."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        *,
        ttl_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._box = box
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[_Key, tuple[float, ProviderSecret | None]] = {}
        self._inflight: dict[_Key, asyncio.Future[ProviderSecret | None]] = {}

    async def get_secret(self, org_id: str, provider: str) -> str | None:
        """The organization's key for `provider` in clear, or None when it has none."""
        held = await self.get(org_id, provider)
        return held.reveal() if held is not None else None

    async def get(self, org_id: str, provider: str) -> ProviderSecret | None:
        """The same, still wrapped in its `ProviderSecret`."""
        key = (org_id, provider)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        return await self._shared_load(key)

    def forget(self, org_id: str, provider: str | None = None) -> None:
        """Drop cached entries of one organization (one provider, or all of them)."""
        if provider is not None:
            self._cache.pop((org_id, provider), None)
            return
        for key in [k for k in self._cache if k[0] == org_id]:
            del self._cache[key]

    async def _shared_load(self, key: _Key) -> ProviderSecret | None:
        pending = self._inflight.get(key)
        if pending is not None:
            return await pending
        future: asyncio.Future[ProviderSecret | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            secret = await asyncio.to_thread(self._load, *key)
            if len(self._cache) >= _MAX_ENTRIES:
                self._cache.clear()
            self._cache[key] = (self._clock() + self._ttl, secret)
            future.set_result(secret)
            return secret
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here so an unawaited future logs nothing
            raise
        finally:
            del self._inflight[key]

    def _load(self, org_id: str, provider: str) -> ProviderSecret | None:
        org = uuid.UUID(org_id)
        with tenant_session(self._engine, org) as session:
            try:
                return read_secret(session, box=self._box, org_id=org, provider=provider)
            except CredentialDecryptError:
                logger.warning(
                    "the stored %s credential of organization %s does not decrypt; "
                    "treating it as absent",
                    provider,
                    org_id,
                )
                return None

    def __repr__(self) -> str:
        return f"CredentialVault(entries={len(self._cache)})"
