"""Failed sign-ins, counted per account and per address, over a fixed window.

The account is the normalised email as typed, whether or not such a user exists, so a
refusal says nothing about which accounts exist. `refusal` is the pure decision; the
store keeps the counts in Redis (`gw:web:<name>:{account|address}:<id>`, each expiring
with its window) so every web process shares them. Sign-ups use the same store under
another name, counted per address only.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import redis.asyncio as aioredis

PREFIX = "gw:web:"


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many failures an account and an address may have in `window_s` seconds."""

    account_limit: int | None = 5
    address_limit: int = 25
    window_s: int = 15 * 60


@dataclass(frozen=True, slots=True)
class Refusal:
    """Sign-in refused until `retry_after_s` seconds have passed."""

    retry_after_s: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after_s / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many sign-in attempts. Try again in {minutes} {unit}."


def refusal(
    policy: ThrottlePolicy,
    *,
    account_failures: int,
    account_ttl_s: int,
    address_failures: int,
    address_ttl_s: int,
) -> Refusal | None:
    """A Refusal when either count reached its limit (waiting for the later reset), else None."""
    waits = []
    if policy.account_limit is not None and account_failures >= policy.account_limit:
        waits.append(account_ttl_s if account_ttl_s > 0 else policy.window_s)
    if address_failures >= policy.address_limit:
        waits.append(address_ttl_s if address_ttl_s > 0 else policy.window_s)
    return Refusal(max(waits)) if waits else None


class LoginThrottle:
    """The failure counts in Redis, and the policy applied to them."""

    def __init__(
        self,
        redis: aioredis.Redis,
        policy: ThrottlePolicy | None = None,
        *,
        name: str = "login_failures",
    ) -> None:
        self._redis = redis
        self.policy = policy or ThrottlePolicy()
        self._prefix = f"{PREFIX}{name}:"

    async def check(self, account: str, address: str) -> Refusal | None:
        """A Refusal when the account or the address has failed too often lately."""
        names = (self._account_key(account), self._address_key(address))
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.get(name)
                pipe.ttl(name)
            account_count, account_ttl, address_count, address_ttl = await pipe.execute()
        return refusal(
            self.policy,
            account_failures=int(account_count or 0),
            account_ttl_s=int(account_ttl),
            address_failures=int(address_count or 0),
            address_ttl_s=int(address_ttl),
        )

    async def record_failure(self, account: str, address: str) -> None:
        """Count one failed sign-in against both; a new window starts with the first."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in (self._account_key(account), self._address_key(address)):
                # A counter made with the window's expiry if there is none (INCR keeps it);
                # `EXPIRE … NX` would say the same but needs Redis 7, and the embedded
                # Redis is 6.2.
                pipe.set(name, 0, ex=self.policy.window_s, nx=True)
                pipe.incr(name)
            await pipe.execute()

    async def record_success(self, account: str) -> None:
        """A successful sign-in clears the account's count (not the address's)."""
        await self._redis.delete(self._account_key(account))

    def _account_key(self, account: str) -> str:
        digest = hashlib.sha256(account.strip().lower().encode("utf-8")).hexdigest()
        return f"{self._prefix}account:{digest}"

    def _address_key(self, address: str) -> str:
        return f"{self._prefix}address:{address or 'unknown'}"
