"""Micro-benchmark of the admission hot path: admit + settle round trips against a local Redis.

    python benchmarks/admission_bench.py [--url redis://127.0.0.1:6379/14] [--requests 20000]
                                         [--concurrency 1 32] [--repeat 3] [--uvloop]

Each request is one admit (both rate-limit scopes checked, budget reserved: one EVALSHA) and
one settle (correction + usage record: EVALSHA and XADD pipelined in one round trip), with
limits high enough that every request is admitted, the clock read per call as the gateway
would. Concurrency 1 gives the latency of each call; higher concurrency (tasks sharing one
client, as requests share one in a gateway process) gives the throughput. The best of
`--repeat` runs is shown, since a shared machine's noise only ever slows a run down. The Redis
figure is the server's own time per script call (from INFO commandstats). The benchmark writes only
its own keys (organization "bench-<pid>", stream "gw:usage:bench-<pid>") and deletes them
when done.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import redis.asyncio as aioredis

from gateway.budget import Admission, Limits, RedisAdmissionStore, Settlement
from gateway.budget.redis_store import budget_key, key_scope_key, org_scope_key

LIMITS = Limits(
    org_rpm=10**9,
    org_tpm=10**12,
    key_rpm=10**9,
    key_tpm=None,
    budget_tokens=10**15,
    budget_usd_micro=10**15,
)
PERIOD = "2026-11-05"


class Bench:
    def __init__(self, client: aioredis.Redis, org_id: str, stream: str) -> None:
        self.store = RedisAdmissionStore(client, stream_key=stream)
        self.org_id = org_id
        self.admit_s = 0.0
        self.settle_s = 0.0

    async def one(self, n: int) -> None:
        clock = time.perf_counter
        admission = Admission(
            self.org_id, "key-1", LIMITS, 1_200, 3_000, PERIOD, 86_400, time.time()
        )
        started = clock()
        result = await self.store.admit(admission)
        admitted = clock()
        record: dict[str, str | int] = {
            "request_id": f"req-{n}",
            "org_id": self.org_id,
            "model": "gpt-4o-mini",
            "prompt_tokens": 200,
            "completion_tokens": 150,
            "cost_micro_usd": 120,
        }
        await self.store.settle(Settlement(admission, result, 350, 120), record)
        self.admit_s += admitted - started
        self.settle_s += clock() - admitted


async def _in_tasks(
    count: int, concurrency: int, run: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    next_n = iter(range(count))

    async def worker() -> None:
        for n in next_n:
            await run(n)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _server_usec(client: aioredis.Redis) -> tuple[int, int]:
    """(calls, usec) of EVALSHA so far, server-wide (other clients' calls mix in, if any)."""
    stats = (await client.info("commandstats")).get("cmdstat_evalsha", {})
    return int(stats.get("calls", 0)), int(stats.get("usec", 0))


async def measure(url: str, requests: int, concurrencies: list[int], repeat: int) -> None:
    org_id, stream = f"bench-{os.getpid()}", f"gw:usage:bench-{os.getpid()}"
    client = aioredis.Redis.from_url(url, max_connections=max(concurrencies) + 1)
    try:
        warm = Bench(client, org_id, stream)
        await _in_tasks(min(requests, 2_000), 1, warm.one)
        for concurrency in concurrencies:
            rates, admit_us, settle_us = [], [], []
            calls_before, usec_before = await _server_usec(client)
            for _ in range(repeat):
                bench = Bench(client, org_id, stream)
                started = time.perf_counter()
                await _in_tasks(requests, concurrency, bench.one)
                rates.append(requests / (time.perf_counter() - started))
                admit_us.append(bench.admit_s / requests * 1e6)
                settle_us.append(bench.settle_s / requests * 1e6)
            calls, usec = await _server_usec(client)
            best = max(range(repeat), key=rates.__getitem__)
            server = (usec - usec_before) / max(1, calls - calls_before)
            print(
                f"concurrency {concurrency:>3}: best {rates[best]:7,.0f} admit+settle/s "
                f"(median {statistics.median(rates):7,.0f}); best run: admit "
                f"{admit_us[best]:6.1f} us, settle {settle_us[best]:6.1f} us awaited per call; "
                f"Redis {server:4.1f} us per script call"
            )
    finally:
        await client.delete(
            org_scope_key(org_id),
            key_scope_key(org_id, "key-1"),
            budget_key(org_id, PERIOD),
            stream,
        )
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--repeat", type=int, default=3, help="runs per concurrency level")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    args = parser.parse_args()
    run = measure(args.url, args.requests, args.concurrency, args.repeat)
    if args.uvloop:
        import uvloop

        uvloop.run(run)
    else:
        asyncio.run(run)


if __name__ == "__main__":
    main()
