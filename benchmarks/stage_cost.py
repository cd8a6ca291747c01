"""What the gateway's stages cost per request, with no server or client around them.

Calls the gateway's ASGI app and the minimal hot path's (`benchmarks.minimal_hot_path`)
directly, one request after another, against the sandbox and the local Redis, in rounds
that alternate between the two, and prints each one's median wall and CPU time per
request. Both make the same calls to Redis and upstream; what the gateway spends beyond
the minimal path is what its stages cost (validation, tokenizer, routing, fallback, cache
policy, metrics, tenant resolution, headers, the usage record). `--profile` then prints the
gateway's functions by their own time under cProfile (which slows Python code about twofold).

    python -m benchmarks.stage_cost [--requests 2000] [--rounds 4] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from typing import Any

import uvloop

from benchmarks.gateway_overhead import BODY
from benchmarks.harness import bench_tenant, sandbox_server
from gateway.api.app import create_app

PATH = "/v1/chat/completions"


async def call(app: Any, key: str) -> None:
    """One chat completion through `app`, as uvicorn would hand it over."""
    body = BODY.encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client stays until the response is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200:
        raise RuntimeError(f"{sent[0]['status']}: {sent[-1].get('body', b'')[:200]!r}")


async def per_request(app: Any, key: str, requests: int) -> tuple[float, float]:
    """Wall and CPU microseconds per request over `requests` sequential calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await call(app, key)
    return (
        (time.perf_counter() - wall) / requests * 1e6,
        (time.process_time() - cpu) / requests * 1e6,
    )


async def measure(args: argparse.Namespace, key: str) -> None:
    import benchmarks.minimal_hot_path as minimal  # reads the environment main() set

    gateway = create_app()
    apps = {"gateway": gateway, "minimal path": minimal.app}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    async with gateway.router.lifespan_context(gateway):
        for app in apps.values():
            await per_request(app, key, 300)  # warm up: connections, scripts, caches
        for round_ in range(args.rounds):
            names = list(apps) if round_ % 2 == 0 else list(reversed(apps))
            for name in names:
                figures[name].append(await per_request(apps[name], key, args.requests))
        print(f"\n{'':<14}{'wall µs':>9}{'CPU µs':>9}  per request, medians of {args.rounds}")
        for name, rows in figures.items():
            wall, cpu = (statistics.median(column) for column in zip(*rows, strict=True))
            print(f"{name:<14}{wall:>9.0f}{cpu:>9.0f}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            await per_request(gateway, key, args.requests)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per round and app")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()

    database_url, key = bench_tenant(args.redis_url)
    with sandbox_server() as (sandbox, _):
        os.environ |= {
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "ROUTERAI_SANDBOX_URL": sandbox,
            "UPSTREAM": f"{sandbox}/openai",
            "BENCH_KEY": key,
        }
        uvloop.run(measure(args, key))


if __name__ == "__main__":
    main()
