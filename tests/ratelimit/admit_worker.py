"""One process of the cross-process rate-limit test: fires concurrent admits at Redis.

Usage: python -m tests.ratelimit.admit_worker REDIS_URL COUNT NOW GO_KEY
Prints "ready", blocks until an item is pushed to the list GO_KEY, fires COUNT admits at
once and prints how many were admitted.
"""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio as aioredis

from gateway.budget import Admission, Limits, RedisAdmissionStore

LIMITS = Limits(
    org_rpm=50, org_tpm=10**9, key_rpm=None, key_tpm=None, budget_tokens=None, budget_usd_micro=None
)


async def main(url: str, count: int, now: float, go_key: str) -> int:
    client = aioredis.Redis.from_url(url, max_connections=count)
    store = RedisAdmissionStore(client)
    admission = Admission("acme", "key-1", LIMITS, 10, 1, "2026-11-05", 3600, now)
    await asyncio.gather(*(client.execute_command("PING") for _ in range(count)))  # connect now
    print("ready", flush=True)
    await client.execute_command("BLPOP", go_key, 30)  # every worker is released at once
    results = await asyncio.gather(*(store.admit(admission) for _ in range(count)))
    await client.aclose()
    return sum(result.admitted for result in results)


if __name__ == "__main__":
    url, count, now, go_key = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    print(asyncio.run(main(url, count, now, go_key)), flush=True)
