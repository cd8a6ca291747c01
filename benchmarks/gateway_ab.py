"""The gateway against another copy of itself, side by side, in one run.

    python -m benchmarks.gateway_ab OTHER_TREE [--rounds 6] [--seconds 3]

On a shared machine the figures of two `gateway_overhead` runs minutes apart differ by
more than most changes to the hot path. This starts the gateway from this tree and from
`OTHER_TREE` (a copy of the repository at another revision, e.g. an unpacked
`git archive`) behind one sandbox, and alternates short wrk runs between them, so both
meet the same noise. Per gateway it prints the medians of requests/s, of the gateway
process's CPU time per request, and of p50 latency, at 32 and at 1 connection.
"""

from __future__ import annotations

import argparse
import statistics
from contextlib import ExitStack
from pathlib import Path

import psutil

from benchmarks.gateway_overhead import BODY, CONNECTIONS
from benchmarks.harness import GATEWAY, ROOT, bench_tenant, sandbox_server, server, wrk

PATH = "/v1/chat/completions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="another copy of the repository")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()

    database_url, key = bench_tenant(args.redis_url)
    trees = {"this tree": ROOT, "other tree": args.other.resolve()}
    with ExitStack() as stack:
        sandbox, _ = stack.enter_context(sandbox_server())
        env = {"DATABASE_URL": database_url, "REDIS_URL": args.redis_url}
        env["ROUTERAI_SANDBOX_URL"] = sandbox
        gateways = {}
        for name, tree in trees.items():
            url, process = stack.enter_context(server(GATEWAY, env=env, cwd=tree))
            gateways[name] = (url + PATH, psutil.Process(process.pid))
            wrk(url + PATH, BODY, key, connections=32, seconds=2)  # warm up
        for connections in reversed(CONNECTIONS):
            compare(gateways, key, connections, args.rounds, args.seconds)


def compare(
    gateways: dict[str, tuple[str, psutil.Process]],
    key: str,
    connections: int,
    rounds: int,
    seconds: int,
) -> None:
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in gateways}
    for round_ in range(rounds):
        names = list(gateways) if round_ % 2 == 0 else list(reversed(gateways))
        for name in names:
            url, process = gateways[name]
            before = process.cpu_times()
            result = wrk(url, BODY, key, connections=connections, seconds=seconds)
            after = process.cpu_times()
            cpu_s = after.user - before.user + after.system - before.system
            cpu_us = cpu_s / max(result.requests, 1) * 1e6
            figures[name].append((result.requests_per_s, cpu_us, result.p50_ms))
    for name, rows in figures.items():
        rps, cpu_us, p50 = (statistics.median(column) for column in zip(*rows, strict=True))
        print(
            f"{connections:>3} connections  {name:<11} {rps:7.0f} req/s  "
            f"{cpu_us:6.0f} µs CPU per request  p50 {p50:.3f} ms"
        )


if __name__ == "__main__":
    main()
