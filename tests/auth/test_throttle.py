"""Sign-in throttling: per account and per address, the same for known and unknown emails."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from gateway.auth.throttle import LoginThrottle, Refusal, ThrottlePolicy, refusal

pytestmark = pytest.mark.embedded_redis_too

POLICY = ThrottlePolicy(account_limit=3, address_limit=5, window_s=600)


@pytest.mark.parametrize(
    ("account", "address", "expected"),
    [
        ((0, -2), (0, -2), None),
        ((2, 500), (4, 500), None),
        ((3, 420), (0, -2), Refusal(420)),
        ((0, -2), (5, 300), Refusal(300)),
        ((3, 100), (5, 300), Refusal(300)),  # the later reset decides
        ((3, -1), (0, -2), Refusal(600)),  # no expiry known: a whole window
    ],
)
def test_refusal_policy(
    account: tuple[int, int], address: tuple[int, int], expected: Refusal | None
) -> None:
    decision = refusal(
        POLICY,
        account_failures=account[0],
        account_ttl_s=account[1],
        address_failures=address[0],
        address_ttl_s=address[1],
    )
    assert decision == expected


def test_the_refusal_message_rounds_up_to_minutes() -> None:
    assert Refusal(61).message == "Too many sign-in attempts. Try again in 2 minutes."
    assert Refusal(5).message == "Too many sign-in attempts. Try again in 1 minute."


def test_accounts_can_go_uncounted() -> None:
    policy = ThrottlePolicy(account_limit=None, address_limit=2)
    assert (
        refusal(policy, account_failures=99, account_ttl_s=5, address_failures=0, address_ttl_s=-2)
        is None
    )


async def test_an_account_is_refused_after_its_limit_whatever_the_address(
    async_redis: aioredis.Redis,
) -> None:
    throttle = LoginThrottle(async_redis, POLICY)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert await throttle.check("Ada@Example.com", address) is None
        await throttle.record_failure("ada@example.com", address)

    refused = await throttle.check("ada@example.com ", "10.0.0.9")

    assert refused is not None and 0 < refused.retry_after_s <= 600
    assert await throttle.check("grace@example.com", "10.0.0.9") is None


async def test_an_address_is_refused_after_its_limit_across_accounts(
    async_redis: aioredis.Redis,
) -> None:
    throttle = LoginThrottle(async_redis, POLICY)
    for number in range(5):
        await throttle.record_failure(f"user{number}@example.com", "192.0.2.7")

    assert await throttle.check("someone-new@example.com", "192.0.2.7") is not None
    assert await throttle.check("someone-new@example.com", "192.0.2.8") is None


async def test_success_clears_the_account_but_not_the_address(async_redis: aioredis.Redis) -> None:
    throttle = LoginThrottle(async_redis, POLICY)
    for _ in range(3):
        await throttle.record_failure("ada@example.com", "192.0.2.1")
    await throttle.record_success("ada@example.com")

    assert await throttle.check("ada@example.com", "192.0.2.2") is None


async def test_counts_expire_with_their_window_and_keep_no_email_in_clear(
    async_redis: aioredis.Redis,
) -> None:
    await LoginThrottle(async_redis, POLICY).record_failure("ada@example.com", "192.0.2.1")

    names = [name.decode() for name in await async_redis.keys("*")]
    assert names and all("ada" not in name for name in names)
    ttls = [await async_redis.ttl(name) for name in names]
    assert all(0 < ttl <= 600 for ttl in ttls)
