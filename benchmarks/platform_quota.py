"""The platform-wide quota check every attempt on a platform key makes: time per call.

    python -m benchmarks.platform_quota [--calls 5000] [--rounds 5]

`PlatformRateLimiter.acquire` against the local Redis, one call after another, with a limit
that never refuses; prints the medians over the rounds of wall and CPU time per call. The
sandbox has no platform account to protect, so the gateway benchmarks, which run against it,
never make this call; a deployment on platform keys makes it before every attempt.
"""

from __future__ import annotations

import argparse
import statistics
import time

import redis.asyncio as aioredis
import uvloop

from gateway.health.platform_limit import PlatformLimit, PlatformRateLimiter


async def measure(args: argparse.Namespace) -> None:
    redis = aioredis.Redis.from_url(args.redis_url)
    limiter = PlatformRateLimiter(redis, {"openai": PlatformLimit(per_minute=10**12)})
    for _ in range(500):  # warm up: the connection and the script
        await limiter.acquire("openai", time.time())
    rounds = []
    for _ in range(args.rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.calls):
            await limiter.acquire("openai", time.time())
        rounds.append(
            (
                (time.perf_counter() - wall) / args.calls * 1e6,
                (time.process_time() - cpu) / args.calls * 1e6,
            )
        )
    await redis.aclose()
    wall_us, cpu_us = (statistics.median(column) for column in zip(*rounds, strict=True))
    print(f"acquire: {wall_us:.0f} µs wall, {cpu_us:.0f} µs CPU per call (medians)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    uvloop.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
