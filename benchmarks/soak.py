"""Soak: mixed traffic for a configurable time; throughput, p99, errors, RSS growth, records.

Starts everything as production runs it, each a process of its own: a private
`redis-server` on a free port, a scratch PostgreSQL database owned by the application's
role (benchmarks/pgdb.py), the sandbox (`routerai sandbox`, a little latency), the gateway
(`routerai api`, one worker) and the workers (`routerai worker`: ingestion, two RQ workers,
the scheduler). Then:

1. capacity: a closed loop on `--connections` connections for `--capacity-seconds`, with
   the same mix, gives the requests/s this machine sustains;
2. soak: an open loop at `--load` (0.7) of that capacity (or `--rate`) for `--minutes`:
   JSON and streamed chats that miss the cache and that hit it (exact and replayed as
   streams), embeddings, and deliberate errors (invalid bodies, unknown models, a provider
   failing on every call), RSS of every process sampled every few seconds;
3. drain: wait for ingestion to write every usage record, then compare the request ids the
   clients received with the rows in `request_logs`.

Reports throughput, p50/p99 latency, the error rate (responses other than each kind's
expected status, streams that did not end properly, transport errors and timeouts), RSS
growth of every process (median of the soak's last fifth against its first fifth, after
warm-up), and records served, ingested, lost and duplicated. Raw figures go to
benchmarks/results/soak-<time>.json.

    python -m benchmarks.soak --minutes 10          # the documented run (70 % of capacity)
    python -m benchmarks.soak --minutes 2           # a quick one
    python -m benchmarks.soak --uncached-misses     # unique prompts not stored: RSS without
                                                    # the semantic cache filling up

Targets: error rate < 0.1 %, RSS growth < 5 % per process, records lost 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import psutil
import redis
from sqlalchemy import text

from benchmarks.harness import ROOT, free_port, sandbox_server, server
from benchmarks.pgdb import DEFAULT_ADMIN_URL, scratch_database

QUESTIONS = [
    "What is the capital of France?",
    "How do I reverse a list in Python?",
    "What is the boiling point of water at sea level?",
    "Name three primary colors.",
    "What does HTTP stand for?",
    "Who wrote Pride and Prejudice?",
    "What is 12 times 12?",
    "What is the largest planet in the solar system?",
]
# kind: (weight, expected statuses)
MIX: dict[str, tuple[int, tuple[int, ...]]] = {
    "chat_miss": (30, (200,)),
    "chat_hit": (20, (200,)),
    "stream_miss": (15, (200,)),
    "stream_hit": (5, (200,)),
    "embeddings": (15, (200,)),
    "invalid_body": (5, (400,)),
    "unknown_model": (5, (404,)),
    "provider_failing": (5, (502, 503)),
}
# With --uncached-misses, the unique prompts ask not to be stored: no cache growth, so the
# RSS figures show whatever else grows.
MISS_KINDS = frozenset({"chat_miss", "stream_miss"})
NO_STORE = {"Cache-Control": "no-store"}
FAILING_PROVIDER = "together"
FAILING_MODEL = "deepseek-v3"  # served by Together alone
TIMEOUT_S = 60


def body_for(kind: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    unique = f"{rng.choice(QUESTIONS)} (request {uuid.uuid4().hex[:12]})"
    chat = {"model": "gpt-4o-mini", "max_tokens": 24, "temperature": 0}
    if kind in ("chat_miss", "stream_miss"):
        body = {**chat, "messages": [{"role": "user", "content": unique}]}
    elif kind in ("chat_hit", "stream_hit"):
        body = {**chat, "messages": [{"role": "user", "content": rng.choice(QUESTIONS)}]}
    elif kind == "embeddings":
        return "/v1/embeddings", {"model": "text-embedding-3-small", "input": unique}
    elif kind == "invalid_body":
        body = {"model": "gpt-4o-mini", "messages": "not a list"}
    elif kind == "unknown_model":
        body = {**chat, "model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}
    else:
        body = {**chat, "model": FAILING_MODEL, "messages": [{"role": "user", "content": unique}]}
    if kind.startswith("stream"):
        body["stream"] = True
    return "/v1/chat/completions", body


@dataclass
class Sample:
    kind: str
    latency_ms: float
    ok: bool
    status: int
    request_id: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Load:
    """Requests sent and their outcomes."""

    samples: list[Sample] = field(default_factory=list)
    transport_errors: Counter[str] = field(default_factory=Counter)

    def record(self, sample: Sample) -> None:
        self.samples.append(sample)


async def one_request(
    session: aiohttp.ClientSession,
    url: str,
    kind: str,
    rng: random.Random,
    load: Load,
    store_misses: bool = True,
) -> None:
    path, body = body_for(kind, rng)
    headers = NO_STORE if kind in MISS_KINDS and not store_misses else None
    began = time.perf_counter()
    try:
        async with session.post(url + path, json=body, headers=headers) as response:
            payload = await response.read()
            status = response.status
            request_id = response.headers.get("x-request-id")
    except (aiohttp.ClientError, TimeoutError) as exc:
        load.transport_errors[type(exc).__name__] += 1
        load.record(Sample(kind, (time.perf_counter() - began) * 1000, False, 0, None))
        return
    ok = status in MIX[kind][1]
    if ok and status == 200 and kind.startswith("stream"):
        ok = payload.rstrip().endswith(b"data: [DONE]") and b'"error"' not in payload
    latency = (time.perf_counter() - began) * 1000
    load.record(Sample(kind, latency, ok, status, request_id))


def pick_kind(rng: random.Random) -> str:
    kinds = list(MIX)
    return rng.choices(kinds, weights=[MIX[k][0] for k in kinds])[0]


def session_for(key: str, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {key}"},
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
    )


async def closed_loop(
    url: str, key: str, connections: int, seconds: float, seed: int, store_misses: bool = True
) -> Load:
    """`connections` clients each sending their next request when the last one ends."""
    load, rng = Load(), random.Random(seed)
    deadline = time.monotonic() + seconds
    async with session_for(key, connections) as session:

        async def client() -> None:
            while time.monotonic() < deadline:
                await one_request(session, url, pick_kind(rng), rng, load, store_misses)

        await asyncio.gather(*(client() for _ in range(connections)))
    return load


async def open_loop(
    url: str,
    key: str,
    rate: float,
    seconds: float,
    seed: int,
    on_tick: Any,
    max_in_flight: int = 2000,
    store_misses: bool = True,
) -> Load:
    """Requests started at `rate` per second whatever the answers' pace (as traffic comes)."""
    load, rng = Load(), random.Random(seed)
    started = time.monotonic()
    in_flight: set[asyncio.Task[None]] = set()
    sent = 0
    next_tick = started
    async with session_for(key, max_in_flight) as session:
        while (now := time.monotonic()) < started + seconds:
            due = int((now - started) * rate)
            while sent < due:
                sent += 1
                if len(in_flight) >= max_in_flight:  # the gateway fell behind: count it
                    load.transport_errors["generator_backlog"] += 1
                    continue
                task = asyncio.create_task(
                    one_request(session, url, pick_kind(rng), rng, load, store_misses)
                )
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if now >= next_tick:
                on_tick(now - started)
                next_tick = now + 5
            await asyncio.sleep(0.002)
        await asyncio.gather(*in_flight)
    return load


@dataclass
class Watched:
    """Processes whose RSS is sampled, by name."""

    pids: dict[str, int]
    samples: dict[str, list[tuple[float, int]]] = field(default_factory=dict)

    def sample(self, at: float) -> None:
        for name, pid in self.pids.items():
            try:
                rss = psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                continue
            self.samples.setdefault(name, []).append((at, rss))

    def growth(self, warmup_s: float) -> dict[str, dict[str, float]]:
        """Median RSS of the last fifth of the soak against the first fifth (after warm-up)."""
        report = {}
        for name, points in self.samples.items():
            kept = [rss for at, rss in points if at >= warmup_s]
            if len(kept) < 5:
                continue
            fifth = max(1, len(kept) // 5)
            first, last = statistics.median(kept[:fifth]), statistics.median(kept[-fifth:])
            report[name] = {
                "first_mib": round(first / 2**20, 1),
                "last_mib": round(last / 2**20, 1),
                "growth_percent": round((last - first) / first * 100, 2),
            }
        return report


def children_of(pid: int) -> dict[str, int]:
    found = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            command = " ".join(child.cmdline()[-3:])
        except psutil.Error:
            continue
        found[f"worker: {command}"] = child.pid
    return found


@contextmanager
def redis_server() -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                directory,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        try:
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            client.close()
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "routerai", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # RQ logs every job it runs
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def summarize(load: Load, seconds: float) -> dict[str, Any]:
    samples = load.samples
    latencies = sorted(s.latency_ms for s in samples if s.status)
    errors = [s for s in samples if not s.ok]
    start = min((s.at for s in samples), default=0.0)
    by_kind = Counter(s.kind for s in samples)
    failed_by_kind = Counter(s.kind for s in errors)
    return {
        "requests": len(samples),
        "throughput_rps": round(len(samples) / seconds, 1),
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "errors": len(errors),
        "error_rate_percent": round(len(errors) / max(1, len(samples)) * 100, 4),
        "errors_by_kind": dict(failed_by_kind),
        "unexpected_statuses": dict(Counter(s.status for s in errors)),
        "transport_errors": dict(load.transport_errors),
        "first_error_after_s": round(min(s.at for s in errors) - start, 1) if errors else None,
        "mix": dict(by_kind),
    }


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, round(percent / 100 * (len(values) - 1)))
    return values[index]


def seed_tenant(database_url: str) -> str:
    """Migrate; an Enterprise organization whose limits stay out of the way; its key."""
    from gateway.db.engine import make_engine
    from gateway.db.migrate import upgrade
    from gateway.db.orgs import create_organization
    from gateway.db.sessions import system_session, tenant_session
    from gateway.tenancy.keys import create_api_key

    upgrade(database_url)
    engine = make_engine(database_url)
    with system_session(engine) as session:
        org = create_organization(session, name="Soak", plan="enterprise")
        org.rpm_limit = org.tpm_limit = 2_000_000_000  # the columns are 32-bit integers
        session.add(org)
    with tenant_session(engine, org.id) as session:
        _, key = create_api_key(session, org=org, name="soak", environment="prod")
    engine.dispose()
    return key


def ingested(database_url: str, key: str) -> list[str]:
    from gateway.db.engine import make_engine
    from gateway.db.sessions import tenant_session
    from gateway.tenancy.keys import resolve_api_key

    engine = make_engine(database_url)
    try:
        resolved = resolve_api_key(engine, full_key=key)
        assert resolved is not None
        with tenant_session(engine, resolved.org.id) as session:
            rows = session.execute(text("SELECT request_id FROM request_logs"))
            return [str(r) for r in rows.scalars()]
    finally:
        engine.dispose()


def wait_for_ingestion(database_url: str, key: str, expected: int, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = ingested(database_url, key)
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--load", type=float, default=0.7, help="fraction of measured capacity")
    parser.add_argument("--rate", type=float, help="requests/s (skips the capacity run)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--capacity-seconds", type=float, default=20)
    parser.add_argument("--latency-ms", type=int, default=20, help="the sandbox's latency")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--uncached-misses",
        action="store_true",
        help="send the unique prompts with Cache-Control: no-store (no cache growth)",
    )
    args = parser.parse_args()

    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database(args.admin_url))
        redis_url = stack.enter_context(redis_server())
        key = seed_tenant(database_url)
        sandbox_url, sandbox = stack.enter_context(sandbox_server(args.latency_ms))
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ROUTERAI_SANDBOX_URL": sandbox_url,
        }
        httpx.post(
            f"{sandbox_url}/_sandbox/faults",
            json={"provider": FAILING_PROVIDER, "fault": "error=500", "count": None},
        ).raise_for_status()
        gateway_url, gateway = stack.enter_context(
            server(["routerai", "api", "--port", "{port}"], env=env)
        )
        worker = stack.enter_context(worker_process(env))
        time.sleep(3)  # the worker's children start
        redis_pid = _redis_pid(redis_url)
        watched = Watched(
            {
                "gateway": _leaf(gateway.pid),
                "sandbox": sandbox.pid,
                "redis": redis_pid,
                **children_of(worker.pid),
            }
        )

        if args.rate:
            capacity, rate = None, args.rate
        else:
            print(
                f"capacity: closed loop, {args.connections} connections, "
                f"{args.capacity_seconds:.0f}s …",
                flush=True,
            )
            measured = asyncio.run(
                closed_loop(
                    gateway_url,
                    key,
                    args.connections,
                    args.capacity_seconds,
                    args.seed,
                    not args.uncached_misses,
                )
            )
            capacity = summarize(measured, args.capacity_seconds)
            rate = capacity["throughput_rps"] * args.load
            print(f"  {capacity['throughput_rps']} req/s, p99 {capacity['p99_ms']} ms")

        seconds = args.minutes * 60
        print(f"soak: {rate:.1f} req/s for {args.minutes:g} min …", flush=True)

        def tick(elapsed: float) -> None:
            watched.sample(elapsed)

        load = asyncio.run(
            open_loop(
                gateway_url,
                key,
                rate,
                seconds,
                args.seed + 1,
                tick,
                store_misses=not args.uncached_misses,
            )
        )
        watched.sample(seconds)
        soak = summarize(load, seconds)

        # Served: answered by the pipeline as its kind expects (each such answer must have
        # its row). An unhandled error's 500 carries a request id of its own and no record.
        served = [s.request_id for s in load.samples if s.ok and s.request_id]
        failed = [s.request_id for s in load.samples if not s.ok and s.request_id]
        served_before = capacity["requests"] if capacity is not None else 0
        rows = wait_for_ingestion(database_url, key, served_before + len(served), 120)
        soak_ids, row_ids = set(served), set(rows)
        records = {
            "served_in_soak": len(served),
            "rows_for_soak_requests": len(soak_ids & row_ids),
            "lost": len(soak_ids - row_ids),
            "duplicated": len(rows) - len(row_ids),
            "failed_with_a_row": len(set(failed) & row_ids),
            "rows_total": len(rows),
        }
        rss = watched.growth(warmup_s=min(60.0, seconds / 5))

    result = {
        "minutes": args.minutes,
        "uncached_misses": args.uncached_misses,
        "target_rate_rps": round(rate, 1),
        "capacity": capacity,
        "soak": soak,
        "rss": rss,
        "records": records,
    }
    out = ROOT / "benchmarks" / "results" / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print_report(result)
    print(f"\nraw figures: {out.relative_to(ROOT)}")


def print_report(result: dict[str, Any]) -> None:
    soak, records = result["soak"], result["records"]
    print(f"\nsoak at {result['target_rate_rps']} req/s for {result['minutes']:g} min")
    print(f"  throughput      {soak['throughput_rps']} req/s ({soak['requests']} requests)")
    print(f"  latency         p50 {soak['p50_ms']} ms, p99 {soak['p99_ms']} ms")
    print(f"  error rate      {soak['error_rate_percent']} % ({soak['errors']})  target < 0.1 %")
    if soak["errors"]:
        print(
            f"    by kind {soak['errors_by_kind']}, statuses {soak['unexpected_statuses']}, "
            f"transport {soak['transport_errors']}"
        )
    print("  RSS             first fifth → last fifth (target < 5 % growth)")
    for name, figures in sorted(result["rss"].items()):
        print(
            f"    {name:40s} {figures['first_mib']:8.1f} → {figures['last_mib']:8.1f} MiB "
            f"({figures['growth_percent']:+.2f} %)"
        )
    print(
        f"  records         served {records['served_in_soak']}, ingested "
        f"{records['rows_for_soak_requests']}, lost {records['lost']}, duplicated "
        f"{records['duplicated']}  (failed requests with a row: "
        f"{records['failed_with_a_row']})"
    )


def _redis_pid(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        info: Any = client.info("server")
        return int(info["process_id"])
    finally:
        client.close()


def _leaf(pid: int) -> int:
    """`routerai api` with one worker serves in its own process: that is the one to watch."""
    children = psutil.Process(pid).children(recursive=True)
    return children[-1].pid if children else pid


if __name__ == "__main__":
    main()
