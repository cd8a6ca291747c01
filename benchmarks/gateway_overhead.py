"""How much the gateway costs on top of a bare proxy, measured with wrk in one run.

Starts the sandbox with zero latency, a bare pass-through proxy (the ceiling), the
minimal hot path (the design's prototype from the gateway's own parts, without its
stages: `benchmarks.minimal_hot_path`) and the gateway (one worker process, full
pipeline: auth, both limits, budget reserve and settle, cost, usage record), then
measures requests/s and p50/p99 at 1 and 32 connections for each, and the gateway's RSS
over many requests. The machine's speed drifts within minutes, so the targets are measured
in rounds: each round runs every target for `--seconds` at each connection count, in
alternating order, and the table gives each figure's median over the rounds (the ratio
also its range over the rounds).

    python -m benchmarks.gateway_overhead [--seconds 3] [--rounds 5] [--rss-requests 100000] [--web]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import psutil

from benchmarks.harness import (
    GATEWAY,
    ROOT,
    UVICORN,
    WrkResult,
    bench_tenant,
    halt_polling_ns,
    sandbox_server,
    server,
    wrk,
)

BODY = json.dumps(
    {
        "model": "gpt-4o-mini",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
    }
)
CONNECTIONS = (1, 32)


def measure(
    targets: dict[str, tuple[str, str]], seconds: int, rounds: int
) -> dict[str, dict[int, list[WrkResult]]]:
    """wrk runs of every (name: (url, key)) target, interleaved round by round."""
    runs: dict[str, dict[int, list[WrkResult]]] = {
        name: {c: [] for c in CONNECTIONS} for name in targets
    }
    for url, key in targets.values():
        for connections in CONNECTIONS:
            wrk(url, BODY, key, connections=connections, seconds=2)  # warm up
    for round_ in range(rounds):
        order = list(targets) if round_ % 2 == 0 else list(reversed(targets))
        for connections in CONNECTIONS:
            for name in order:
                url, key = targets[name]
                result = wrk(url, BODY, key, connections=connections, seconds=seconds)
                runs[name][connections].append(result)
    return runs


def median(results: list[WrkResult]) -> WrkResult:
    return WrkResult(
        requests_per_s=statistics.median(r.requests_per_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        requests=sum(r.requests for r in results),
    )


def rss_growth(url: str, key: str, process: psutil.Process, requests: int) -> tuple[int, int]:
    """RSS (bytes) after a warm-up, and after `requests` more requests."""
    wrk(url, BODY, key, connections=32, seconds=5)
    before = process.memory_info().rss
    served = 0
    while served < requests:
        served += wrk(url, BODY, key, connections=32, seconds=10).requests
    return before, process.memory_info().rss


def print_table(runs: dict[str, dict[int, list[WrkResult]]]) -> None:
    print(f"\n{'target':<14}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, by_connections in runs.items():
        for connections, results in by_connections.items():
            r = median(results)
            print(
                f"{name:<14}{connections:>6}{r.requests_per_s:>10.0f}{r.p50_ms:>9.3f}"
                f"{r.p99_ms:>9.3f}{r.errors:>8}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="of each wrk run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rss-requests", type=int, default=100_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument(
        "--web",
        action="store_true",
        help="also measure the gateway mounted in the Reflex app (one worker)",
    )
    args = parser.parse_args()

    database_url, key = bench_tenant(args.redis_url)
    with sandbox_server() as (sandbox, _):
        upstream = f"{sandbox}/openai"
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "ROUTERAI_SANDBOX_URL": sandbox,
        }
        with (
            server(
                [*UVICORN, "benchmarks.bare_proxy:app"], env={"UPSTREAM": upstream}, ready_path="/"
            ) as (proxy, _),
            server(
                [*UVICORN, "benchmarks.minimal_hot_path:app"],
                env={"UPSTREAM": upstream, "REDIS_URL": args.redis_url, "BENCH_KEY": key},
                ready_path="/",
            ) as (floor, _),
            server(GATEWAY, env=env) as (
                gateway,
                gateway_process,
            ),
        ):
            path = "/v1/chat/completions"
            targets = {
                "direct": (upstream + path, "sk-bench"),
                "bare proxy": (proxy + path, "sk-bench"),
                "minimal path": (floor + path, key),
                "gateway": (gateway + path, key),
            }
            runs = measure(targets, args.seconds, args.rounds)
            before, after = rss_growth(
                gateway + path, key, psutil.Process(gateway_process.pid), args.rss_requests
            )
        if args.web:
            web_env = {**env, "GRANIAN_WORKERS": "1", "REFLEX_CHECK_LATEST_VERSION": "false"}
            web = [
                "reflex",
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                "{port}",
                "--backend-host",
                "127.0.0.1",
                "--loglevel",
                "warning",
            ]
            with server(web, env=web_env) as (app_url, _):
                web_target = {"gateway (web)": (app_url + path, key)}
                runs |= measure(web_target, args.seconds, args.rounds)
    print_table(runs)
    report(runs, before, after, args.rss_requests)


def report(
    runs: dict[str, dict[int, list[WrkResult]]], before: int, after: int, requests: int
) -> None:
    rows = {name: {c: median(rs) for c, rs in by.items()} for name, by in runs.items()}
    gateway, proxy, direct = rows["gateway"], rows["bare proxy"], rows["direct"]
    share = gateway[32].requests_per_s / proxy[32].requests_per_s
    shares = [
        g.requests_per_s / p.requests_per_s
        for g, p in zip(runs["gateway"][32], runs["bare proxy"][32], strict=True)
    ]
    added_p50 = gateway[1].p50_ms - direct[1].p50_ms
    added_p99 = gateway[1].p99_ms - direct[1].p99_ms
    floor = rows["minimal path"]
    growth = (after - before) / before
    print(
        f"\ngateway / bare proxy at 32 connections: {share:.0%} of the medians, "
        f"{min(shares):.0%} to {max(shares):.0%} round by round (target >= 40%)"
    )
    print(
        f"added latency at 1 connection: p50 {added_p50:+.3f} ms (target <= 0.5), "
        f"p99 {added_p99:+.3f} ms (target <= 2)"
    )
    print(
        f"the minimal hot path (no product stages): {floor[32].requests_per_s:.0f} req/s at 32 "
        f"connections (the gateway: {gateway[32].requests_per_s / floor[32].requests_per_s:.0%} "
        f"of it); added latency at 1 connection: p50 {floor[1].p50_ms - direct[1].p50_ms:+.3f} "
        f"ms, p99 {floor[1].p99_ms - direct[1].p99_ms:+.3f} ms"
    )
    print(
        f"gateway RSS over {requests:,}+ requests: {before / 2**20:.1f} -> "
        f"{after / 2**20:.1f} MiB ({growth:+.1%}, target within 5%)"
    )
    halt_poll = halt_polling_ns()
    if halt_poll is not None:
        print(f"guest halt polling: {halt_poll / 1000:.0f} µs (0: idle vCPUs halt at once)")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (results / f"gateway_overhead-{stamp}.json").write_text(
        json.dumps(
            {name: {c: [vars(r) for r in rs] for c, rs in by.items()} for name, by in runs.items()}
            | {"rss_before": before, "rss_after": after, "halt_poll_ns": halt_poll},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
