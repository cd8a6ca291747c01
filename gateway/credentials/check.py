"""Does a provider accept a key? Asked before a tenant's key is stored.

The HTTP call is injected (`ProbeCall`): the composition root passes one that sends the
provider's cheapest authenticated request (e.g. GET /v1/models) with the key and returns the
HTTP status, or None when the provider could not be reached. The verdict is pure:

    2xx, 429        the key authenticated (429: it did, then got throttled)   → accepted
    401, 403        the provider refused the key                              → CredentialRejected
    anything else   no verdict (unreachable, 5xx, an unexpected status)       → CredentialUnverified

A probe that would reach an address RouterAI must not (a tenant-supplied base URL on
loopback, a private network or a metadata endpoint) raises `UnsafeURL` instead of sending;
that is `CredentialAddressRefused`. `gateway.security.probe.guarded_probe` builds such a probe.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.security.urls import UnsafeURL

ProbeCall = Callable[[str, str], Awaitable[int | None]]
"""(provider, secret) → the HTTP status of the provider's cheap authenticated call, or None."""

REFUSED_STATUSES = frozenset({401, 403})


class CredentialRejected(ValueError):
    """The provider refused the key (401/403): it is not stored."""

    def __init__(self, provider: str, status: int) -> None:
        super().__init__(f"{provider} refused this key (HTTP {status}); check it and try again")
        self.provider = provider
        self.status = status


class CredentialUnverified(RuntimeError):
    """The provider gave no verdict on the key (unreachable or failing): it is not stored."""

    def __init__(self, provider: str, status: int | None) -> None:
        reason = "could not be reached" if status is None else f"answered HTTP {status}"
        super().__init__(f"{provider} {reason} while checking the key; try again shortly")
        self.provider = provider
        self.status = status


class CredentialAddressRefused(ValueError):
    """The provider's address is one RouterAI must not reach: nothing was sent or stored."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}'s address is not allowed: {reason}")
        self.provider = provider


def verdict(provider: str, status: int | None) -> None:
    """Raise unless `status` says the provider accepted the key."""
    if status is not None and (200 <= status < 300 or status == 429):
        return
    if status in REFUSED_STATUSES:
        raise CredentialRejected(provider, status)
    raise CredentialUnverified(provider, status)


async def check_credential(provider: str, secret: str, *, call: ProbeCall) -> None:
    """Ask the provider about `secret`; raise CredentialRejected / CredentialUnverified /
    CredentialAddressRefused."""
    try:
        status = await call(provider, secret)
    except UnsafeURL as exc:
        raise CredentialAddressRefused(provider, str(exc)) from None
    verdict(provider, status)
