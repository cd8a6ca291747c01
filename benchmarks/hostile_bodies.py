"""`/health` while huge bodies are refused: does one tenant's body stall everyone else?

    python -m benchmarks.hostile_bodies [--other OTHER_TREE] [--rounds 3] [--seconds 5]
                                        [--senders 10] [--messages 100000]

Starts the sandbox and the gateway (one uvicorn worker), and with `--other` a second
gateway from `OTHER_TREE` (a copy of the repository at another revision, such as an
unpacked `git archive`) behind the same sandbox. Each round, for each gateway in turn
(the order alternating from round to round, so both meet the same noise of a shared
machine), it probes `GET /health` one request after another, on one kept-alive
connection, for `--seconds` twice: on the idle gateway, then while `--senders` clients
(in a process of their own, so the probe does not share their interpreter) each POST again
and again a chat body of `--messages` two-letter messages (about 3 MB, under the 4 MiB body
limit). That body is refused (400: a prompt of about 400,000 tokens is longer than any
model's context), but only after it was parsed, validated and its tokens counted: the
work a gateway does on a body before it can refuse it.

Prints per gateway p50 / p99 / max of `/health` over all rounds, idle and under attack,
and the statuses the hostile bodies got. Target: p99 <= 50 ms under attack.
"""

from __future__ import annotations

import argparse
import multiprocessing
import threading
import time
from collections import Counter
from contextlib import ExitStack
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

from benchmarks.harness import GATEWAY, ROOT, bench_tenant, sandbox_server, server


def hostile_body(messages: int) -> bytes:
    turns = [{"role": "user", "content": "hi"}] * messages
    return orjson.dumps({"model": "gpt-4o-mini", "messages": turns})


def send_until(url: str, key: str, body: bytes, stop: Event, statuses: dict[int, int]) -> None:
    """One hostile sender: the same body, again and again, until `stop` is set."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(timeout=120) as client:
        while not stop.is_set():
            try:
                status = client.post(f"{url}/v1/chat/completions", content=body, headers=headers)
                code = status.status_code
            except httpx.HTTPError:
                code = 0
            statuses[code] = statuses.get(code, 0) + 1


def attack(url: str, key: str, senders: int, messages: int, stop: Event, out: Any) -> None:
    """The senders, as threads of this (separate) process; `out` gets what they saw."""
    body = hostile_body(messages)
    counts: list[dict[int, int]] = [{} for _ in range(senders)]
    threads = [
        threading.Thread(target=send_until, args=(url, key, body, stop, counts[i]))
        for i in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total: Counter[int] = Counter()
    for count in counts:
        total.update(count)
    out["statuses"] = dict(total)


def probe(url: str, seconds: float) -> list[float]:
    """Latencies (ms) of `GET /health`, one after another, for `seconds`."""
    latencies = []
    with httpx.Client(timeout=60) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            began = time.perf_counter()
            client.get(f"{url}/health").raise_for_status()
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(0.005)
    return latencies


def summary(latencies: list[float]) -> str:
    figures = np.array(latencies)
    return (
        f"{len(figures):>6} probes  p50 {np.percentile(figures, 50):7.2f} ms  "
        f"p99 {np.percentile(figures, 99):8.2f} ms  max {figures.max():8.2f} ms"
    )


def under_attack(
    url: str, key: str, args: argparse.Namespace
) -> tuple[list[float], dict[int, int]]:
    """/health latencies while the senders run, and the statuses their bodies got."""
    with multiprocessing.Manager() as manager:
        stop, out = manager.Event(), manager.dict()
        senders = multiprocessing.Process(
            target=attack, args=(url, key, args.senders, args.messages, stop, out)
        )
        senders.start()
        time.sleep(1)  # every sender has its first body on the way
        latencies = probe(url, args.seconds)
        stop.set()
        senders.join()
        return latencies, dict(out["statuses"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, help="also run the gateway from this tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()

    trees = {"this tree": ROOT} | ({"other tree": args.other.resolve()} if args.other else {})
    idle: dict[str, list[float]] = {name: [] for name in trees}
    attacked: dict[str, list[float]] = {name: [] for name in trees}
    statuses: dict[str, Counter[int]] = {name: Counter() for name in trees}
    database_url, key = bench_tenant(args.redis_url)
    with ExitStack() as stack:
        sandbox, _ = stack.enter_context(sandbox_server())
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "ROUTERAI_SANDBOX_URL": sandbox,
        }
        gateways = {
            name: stack.enter_context(server(GATEWAY, env=env, cwd=tree))[0]
            for name, tree in trees.items()
        }
        for url in gateways.values():
            probe(url, 1)  # warm up
        for round_ in range(args.rounds):
            names = list(gateways) if round_ % 2 == 0 else list(reversed(gateways))
            for name in names:
                idle[name] += probe(gateways[name], args.seconds)
                latencies, seen = under_attack(gateways[name], key, args)
                attacked[name] += latencies
                statuses[name].update(seen)
    body_mb = len(hostile_body(args.messages)) / 1e6
    print(
        f"\n{args.senders} senders of {args.messages:,} messages ({body_mb:.1f} MB each), "
        f"{args.rounds} rounds of {args.seconds:g} s"
    )
    for name, tree in trees.items():
        print(f"\n{name} ({tree})")
        print(f"  idle          {summary(idle[name])}")
        print(f"  under attack  {summary(attacked[name])}")
        print(f"  hostile bodies answered by status: {dict(statuses[name])}")
    print("\ntarget: p99 <= 50 ms under attack")


if __name__ == "__main__":
    main()
