"""What the gateway's stages cost per request, with no server or client around them.

Calls the gateway's ASGI app and the minimal hot path's (`benchmarks.minimal_hot_path`)
directly, one request after another, against the sandbox and the local Redis, in rounds
that alternate between the two, and prints each one's median wall and CPU time per
request. Both make the same calls to Redis and upstream; what the gateway spends beyond
the minimal path is what its stages cost (validation, tokenizer, routing, fallback, cache
policy, metrics, tenant resolution, headers, the usage record). `--profile` then prints the
gateway's functions by their own time under cProfile (which slows Python code about twofold).
`--segments` times, for both apps, the stretches between one request's writes and reads on
Redis and upstream, in wall and in CPU time: where on the request's path the time goes, and
how much of it the process spent running. The tracing is installed
before the first connection is made (uvloop binds a protocol's methods when it connects), so
with `--segments` the timings above carry its small cost too.

    python -m benchmarks.stage_cost [--requests 2000] [--rounds 4] [--profile] [--segments]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import uvloop

from benchmarks.gateway_overhead import BODY
from benchmarks.harness import bench_tenant, sandbox_server
from gateway.api.app import create_app
from gateway.pipelined_redis import _RespProtocol
from gateway.providers.http1 import _Connection

PATH = "/v1/chat/completions"
Marks = list[tuple[str, int, int]]  # (event, wall clock ns, this thread's CPU time ns)


def mark(marks: Marks, event: str) -> None:
    marks.append((event, time.perf_counter_ns(), time.thread_time_ns()))


async def call(app: Any, key: str, marks: Marks | None = None) -> None:
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
        if marks is not None and message["type"] == "http.response.start":
            mark(marks, "response")
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200:
        raise RuntimeError(f"{sent[0]['status']}: {sent[-1].get('body', b'')[:200]!r}")


SEGMENTS = (
    # (what, from mark, its occurrence, to mark, its occurrence) within one request
    ("before the admit call", "start", 0, "redis write", 0),
    ("admit write", "redis write", 0, "redis written", 0),
    ("admit reply after the write", "redis written", 0, "redis read", 0),
    ("admitted to upstream call", "redis read", 0, "upstream write", 0),
    ("upstream round trip", "upstream write", 0, "upstream read", 0),
    ("answer to response", "upstream read", 0, "response", 0),
    ("response to settle call", "response", 0, "redis write", 1),
    ("settle write", "redis write", 1, "redis written", 1),
    ("settle reply after the write", "redis written", 1, "redis read", 1),
)
"""The stretches of one request between its I/O events: at one connection, those outside
the round trips are the process's own work on the request's critical path. A write that
lasts as long as the script runs had Redis run on the writer's own CPU, inside the write."""


@contextmanager
def traced_io(marks: Marks) -> Iterator[None]:
    """Timestamp each write and read on the Redis and upstream connections into `marks`."""
    points = (  # (class, method, mark as it is called, mark as it returns)
        (_RespProtocol, "send", "redis write", "redis written"),
        (_RespProtocol, "data_received", "redis read", None),
        (_Connection, "exchange", "upstream write", None),  # it writes before its first await
        (_Connection, "data_received", "upstream read", None),
    )
    originals = [getattr(cls, name) for cls, name, *_ in points]
    for (cls, name, called, returned), original in zip(points, originals, strict=True):

        def traced(
            self: Any,
            *args: Any,
            _original: Any = original,
            _called: str = called,
            _returned: str | None = returned,
        ) -> Any:
            mark(marks, _called)
            result = _original(self, *args)
            if _returned is not None:
                mark(marks, _returned)
            return result

        setattr(cls, name, traced)
    try:
        yield
    finally:
        for (cls, name, *_), original in zip(points, originals, strict=True):
            setattr(cls, name, original)


async def segments(
    app: Any, key: str, requests: int, marks: Marks
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU microseconds of each of SEGMENTS over `requests` sequential calls,
    with the connections' I/O traced into `marks` (`traced_io`). Wall time beyond the CPU
    time is time the process did not run: waiting, or another process on its CPU."""
    spans: dict[str, list[tuple[int, int]]] = {what: [] for what, *_ in SEGMENTS}
    for _ in range(requests):
        marks.clear()
        mark(marks, "start")
        await call(app, key, marks)
        times: dict[str, list[tuple[int, int]]] = {}
        for label, wall, cpu in marks:
            times.setdefault(label, []).append((wall, cpu))
        for what, begin, i, end, j in SEGMENTS:
            (wall_from, cpu_from), (wall_to, cpu_to) = times[begin][i], times[end][j]
            spans[what].append((wall_to - wall_from, cpu_to - cpu_from))
    return {
        what: (
            statistics.median(wall for wall, _ in values) / 1000,
            statistics.median(cpu for _, cpu in values) / 1000,
        )
        for what, values in spans.items()
    }


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

    marks: Marks = []
    with traced_io(marks) if args.segments else nullcontext():
        await measure_apps(args, key, create_app(), minimal.app, marks)


async def measure_apps(
    args: argparse.Namespace, key: str, gateway: Any, minimal: Any, marks: Marks
) -> None:
    apps = {"gateway": gateway, "minimal path": minimal}
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
        if args.segments:
            found = {
                name: await segments(app, key, args.requests, marks) for name, app in apps.items()
            }
            print(f"\n{'µs, medians (wall / CPU)':<28}" + "".join(f"{n:>16}" for n in apps))
            for what, *_ in SEGMENTS:
                cells = (f"{found[n][what][0]:.0f} / {found[n][what][1]:.0f}" for n in apps)
                print(f"{what:<28}" + "".join(f"{cell:>16}" for cell in cells))
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
    parser.add_argument("--segments", action="store_true", help="time between I/O events")
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
