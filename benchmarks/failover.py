"""Failover under load: one provider goes down mid-run; what do clients see?

Runs the sandbox (a little latency, as real providers have), the gateway as one worker
and a steady closed-loop load on a model two providers serve (`llama-3.3-70b`: groq
first, together second). A third of the way in, groq starts failing (`--fault`,
`error=503` by default; `hang` makes every groq attempt wait for the per-attempt
timeout). Reports the client error rate and p50/p99 latency before the fault, during
the switch (until the breaker has opened: one attempt timeout and a second after the
fault) and after it.

    python -m benchmarks.failover [--seconds 30] [--connections 4] [--fault hang]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from benchmarks.harness import GATEWAY, bench_tenant, sandbox_server, server

BODY = {
    "model": "llama-3.3-70b",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Hello there"}],
}


@dataclass(frozen=True)
class Sample:
    started: float
    latency_ms: float
    status: int
    provider: str


async def load(
    url: str, key: str, connections: int, seconds: float, fault_at: float, arm: asyncio.Future[None]
) -> list[Sample]:
    samples: list[Sample] = []
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}"}

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                response = await client.post(url, json=BODY, headers=headers)
                status, provider = (
                    response.status_code,
                    response.headers.get("x-routerai-provider", ""),
                )
            except httpx.HTTPError:
                status, provider = 0, ""
            samples.append(Sample(began, (time.monotonic() - began) * 1000, status, provider))

    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=connections)
    ) as client:
        start = time.monotonic()
        tasks = [asyncio.create_task(worker(client)) for _ in range(connections)]
        await asyncio.sleep(fault_at)
        arm.set_result(None)
        await asyncio.gather(*tasks)
    return [Sample(s.started - start, s.latency_ms, s.status, s.provider) for s in samples]


def phase(samples: list[Sample], low: float, high: float) -> dict[str, float]:
    chosen = [s for s in samples if low <= s.started < high]
    latencies = np.array([s.latency_ms for s in chosen]) if chosen else np.array([0.0])
    errors = sum(1 for s in chosen if s.status != 200)
    return {
        "requests": len(chosen),
        "errors": errors,
        "error_rate": errors / len(chosen) if chosen else 0.0,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--fault", default="error=503")
    parser.add_argument("--latency-ms", type=int, default=5)
    parser.add_argument("--attempt-timeout-s", type=float, default=2.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()

    database_url, key = bench_tenant(args.redis_url)
    with sandbox_server(args.latency_ms) as (sandbox, _):
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "ROUTERAI_SANDBOX_URL": sandbox,
            "ROUTERAI_ATTEMPT_TIMEOUT_S": str(args.attempt_timeout_s),
        }
        with server(GATEWAY, env=env) as (gateway, _):
            fault_at = args.seconds / 3
            samples = asyncio.run(run(gateway, key, sandbox, args, fault_at))
    # The switch lasts until the breaker has opened: at worst the first failing attempts'
    # own timeouts, plus a second for every process to see the new state.
    switch_end = fault_at + args.attempt_timeout_s + 1.0
    phases = {
        "before": phase(samples, 0, fault_at),
        "switch": phase(samples, fault_at, switch_end),
        "after": phase(samples, switch_end, args.seconds),
    }
    report(phases, samples, args)


async def run(
    gateway: str, key: str, sandbox: str, args: argparse.Namespace, fault_at: float
) -> list[Sample]:
    arm: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def take_groq_down() -> None:
        await arm
        async with httpx.AsyncClient() as client:
            await client.post(
                f"{sandbox}/_sandbox/faults",
                json={"provider": "groq", "fault": args.fault, "count": None},
            )

    downer = asyncio.create_task(take_groq_down())
    samples = await load(
        f"{gateway}/v1/chat/completions", key, args.connections, args.seconds, fault_at, arm
    )
    await downer
    return samples


def report(
    phases: dict[str, dict[str, float]], samples: list[Sample], args: argparse.Namespace
) -> None:
    print(
        f"\nfault: groq {args.fault} at {args.seconds / 3:.0f}s of {args.seconds:.0f}s, "
        f"{args.connections} connections, per-attempt timeout {args.attempt_timeout_s}s"
    )
    print(f"{'phase':<8}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for name, p in phases.items():
        print(
            f"{name:<8}{p['requests']:>10.0f}{p['errors']:>8.0f}{p['p50_ms']:>9.1f}"
            f"{p['p99_ms']:>9.1f}"
        )
    total_errors = sum(1 for s in samples if s.status != 200)
    print(f"\nclient error rate: {total_errors / len(samples):.3%} of {len(samples)} (target 0%)")
    switch = phases["switch"]["p99_ms"] - phases["before"]["p99_ms"]
    print(
        f"p99 added during the switch: {switch:+.1f} ms "
        f"(target <= one attempt timeout, {args.attempt_timeout_s * 1000:.0f} ms)"
    )
    print(
        f"p99 added after the breaker opened: "
        f"{phases['after']['p99_ms'] - phases['before']['p99_ms']:+.1f} ms (target <= 5 ms)"
    )
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"failover-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps({"fault": args.fault, "phases": phases}, indent=2)
    )


if __name__ == "__main__":
    main()
