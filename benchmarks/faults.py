"""Faults as figures: what RouterAI does under the faults and inputs of its attack table.

    python -m benchmarks.faults [--only SCENARIO ...] [--other OTHER_TREE]

Each scenario starts a stack of its own, as production runs it: a private `redis-server`,
a scratch PostgreSQL database owned by the application's role (benchmarks/pgdb.py), the
sandbox, the gateway (`routerai api`, one worker) and `routerai worker`. With `--other`,
each scenario runs a second time with the gateway and the worker of another revision (an
unpacked `git archive`; its own migrations), behind a sandbox from this tree: figures before
and after, from one run.

- `worker-kill`: chats from 8 clients for 20 s; the worker's ingest child is SIGKILLed at 5 s
  and at 12 s. Requests answered against rows recorded (lost, twice); whether `routerai
  worker` still runs; `/health` answers seen meanwhile.
- `redis-restart`: chats from 8 clients for 20 s; Redis restarted (with its data) at 7 s.
  Answered against rows; refusals while it was down; whether every process still runs.
- `redis-loss`: a budget of $0.0003 spent until refused, Redis restarted empty, then spent
  again: requests admitted before and after the restart.
- `overcount`: 200 concurrent chats of 4,000 dots with `max_tokens` 1 against a budget of
  $0.001 and one of 3,000 tokens, the sandbox counting prompts 1, 1.5, 2 and 3 times what it
  would (then 3 again once a few answers have been seen): spend recorded against the budget.
- `free-auto`: a new Free organization, `model="auto"` without `max_tokens`, ten requests
  one after another: their statuses.
- `hostile`: `/health` p50 / p99 while ten clients (in a process of their own) send bodies
  of 100,000 messages for 15 s; then an embeddings request of 30,000 inputs and an unsigned
  webhook of 200 MiB; the gateway's RSS once warm (50 chats served), at its peak, and 60 s
  after.

Targets: nothing lost or twice; spend within 1 % of the budget or one request; `/health`
p99 <= 50 ms under the hostile run; RSS back within 20 % of the start 60 s after it.
Figures also go to benchmarks/results/faults-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis

from benchmarks.harness import ROOT, free_port, sandbox_server, server
from benchmarks.hostile_bodies import under_attack
from benchmarks.pgdb import DEFAULT_ADMIN_URL, scratch_database

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi."}], "max_tokens": 8}
DOTS = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "." * 4000}]}


class PrivateRedis:
    """`redis-server` on a free port, stopped and started again with or without its data."""

    def __init__(self, directory: str, *, persistent: bool) -> None:
        self.port, self.directory, self.persistent = free_port(), directory, persistent
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        aof = "yes" if self.persistent else "no"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.directory,
                "--save",
                "",
                "--appendonly",
                aof,
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class Stack:
    tree: Path
    url: str
    database_url: str
    redis: PrivateRedis
    sandbox_url: str
    worker: subprocess.Popen[bytes]
    gateway_pid: int

    def tenant(self, plan: str = "enterprise", **fields: Any) -> tuple[str, str]:
        """A new organization (`fields` set on it) with one key: (org id, key). On
        Enterprise, rate limits stay out of the way (the columns' ceiling)."""
        if plan == "enterprise":
            fields = {"rpm_limit": 2_000_000_000, "tpm_limit": 2_000_000_000, **fields}
        from gateway.db.engine import make_engine
        from gateway.db.orgs import create_organization
        from gateway.db.sessions import system_session, tenant_session
        from gateway.tenancy.keys import create_api_key

        engine = make_engine(self.database_url)
        with system_session(engine) as session:
            org = create_organization(session, name=f"Bench {uuid.uuid4().hex[:6]}", plan=plan)
            for name, value in fields.items():
                setattr(org, name, value)
            session.add(org)
        with tenant_session(engine, org.id) as session:
            _, key = create_api_key(session, org=org, name="bench", environment="prod")
        engine.dispose()
        return str(org.id), key

    def rows(self, org_id: str) -> list[str]:
        from sqlalchemy import text

        from gateway.db.engine import make_engine
        from gateway.db.sessions import tenant_session

        engine = make_engine(self.database_url)
        try:
            with tenant_session(engine, uuid.UUID(org_id)) as session:
                result = session.execute(text("SELECT request_id FROM request_logs"))
                return [str(row) for row in result.scalars()]
        finally:
            engine.dispose()

    def fault(self, text: str | None) -> None:
        if text is None:
            httpx.delete(f"{self.sandbox_url}/_sandbox/faults").raise_for_status()
            return
        fault = {"provider": "*", "fault": text, "count": None}
        httpx.post(f"{self.sandbox_url}/_sandbox/faults", json=fault).raise_for_status()


@contextmanager
def stack(tree: Path, admin_url: str, *, persistent: bool = True) -> Iterator[Stack]:
    with ExitStack() as stack_, tempfile.TemporaryDirectory() as directory:
        database_url = stack_.enter_context(scratch_database(admin_url))
        subprocess.run(
            [sys.executable, "-m", "routerai", "migrate"],
            cwd=tree,
            env={**os.environ, "DATABASE_URL": database_url},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        private = PrivateRedis(directory, persistent=persistent)
        private.start()
        stack_.callback(private.stop)
        sandbox_url, _ = stack_.enter_context(sandbox_server(0))
        env = {"DATABASE_URL": database_url, "REDIS_URL": private.url}
        env["ROUTERAI_SANDBOX_URL"] = sandbox_url
        api = ["routerai", "api", "--port", "{port}"]
        url, gateway = stack_.enter_context(server(api, env=env, cwd=tree))
        worker = subprocess.Popen(
            [sys.executable, "-m", "routerai", "worker"],
            cwd=tree,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack_.callback(_stop, worker)
        children = psutil.Process(gateway.pid).children(recursive=True)
        leaf = children[-1].pid if children else gateway.pid
        time.sleep(3)  # the worker's children start
        yield Stack(tree, url, database_url, private, sandbox_url, worker, leaf)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Traffic:
    """Requests from `clients` threads, one after another each, until stopped."""

    url: str
    key: str
    body: dict[str, Any]
    clients: int = 8
    statuses: Counter[int] = field(default_factory=Counter)
    served: list[str] = field(default_factory=list)
    health: Counter[str] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)

    def run_for(self, seconds: float, events: list[tuple[float, Callable[[], None]]]) -> None:
        threads = [threading.Thread(target=self._client) for _ in range(self.clients)]
        threads.append(threading.Thread(target=self._health))
        for thread in threads:
            thread.start()
        began = time.monotonic()
        for at, event in events:
            time.sleep(max(0.0, began + at - time.monotonic()))
            event()
        time.sleep(max(0.0, began + seconds - time.monotonic()))
        self.stop.set()
        for thread in threads:
            thread.join()

    def _client(self) -> None:
        headers = {"authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                try:
                    response = http.post("/v1/chat/completions", json=self.body, headers=headers)
                except httpx.HTTPError:
                    self.statuses[0] += 1
                    continue
                self.statuses[response.status_code] += 1
                if response.status_code == 200:
                    self.served.append(response.headers["x-request-id"])

    def _health(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as http:
            while not self.stop.wait(0.2):
                try:
                    self.health[http.get("/health").json().get("status", "?")] += 1
                except (httpx.HTTPError, ValueError):
                    self.health["no answer"] += 1


def records(s: Stack, org_id: str, served: list[str]) -> dict[str, int]:
    """Rows against answers, once ingestion has caught up (or after a minute)."""
    deadline = time.monotonic() + 60
    while True:
        rows = s.rows(org_id)
        if set(served) <= set(rows) or time.monotonic() > deadline:
            break
        time.sleep(1)
    return {
        "answered": len(served),
        "lost": len(set(served) - set(rows)),
        "twice": len(rows) - len(set(rows)),
    }


def ingest_child(worker: subprocess.Popen[bytes]) -> int | None:
    for child in psutil.Process(worker.pid).children():
        if child.cmdline()[2:4] == ["workers", "ingest"]:
            return int(child.pid)
    return None


def worker_kill(tree: Path, admin_url: str) -> dict[str, Any]:
    with stack(tree, admin_url) as s:
        org_id, key = s.tenant()
        traffic = Traffic(s.url, key, CHAT)

        def kill() -> None:
            pid = ingest_child(s.worker)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)

        traffic.run_for(20, [(5, kill), (12, kill)])
        alive = s.worker.poll() is None
        return {
            **records(s, org_id, traffic.served),
            "worker_still_runs": alive,
            "statuses": dict(traffic.statuses),
            "health": dict(traffic.health),
        }


def redis_restart(tree: Path, admin_url: str) -> dict[str, Any]:
    with stack(tree, admin_url) as s:
        org_id, key = s.tenant()
        traffic = Traffic(s.url, key, CHAT)

        def restart() -> None:
            s.redis.stop()
            time.sleep(1)
            s.redis.start()

        traffic.run_for(20, [(7, restart)])
        children = len(psutil.Process(s.worker.pid).children()) if s.worker.poll() is None else 0
        return {
            **records(s, org_id, traffic.served),
            "statuses": dict(traffic.statuses),
            "worker_children_running": children,
        }


def redis_loss(tree: Path, admin_url: str) -> dict[str, Any]:
    with stack(tree, admin_url, persistent=False) as s:
        org_id, key = s.tenant(plan="growth", monthly_usd_budget=300)
        before = _spend_until_refused(s.url, key)
        deadline = time.monotonic() + 60
        while len(s.rows(org_id)) < before and time.monotonic() < deadline:
            time.sleep(0.5)  # until ingested: the database is what outlives Redis
        s.redis.stop()
        s.redis.start()
        time.sleep(2)
        after = _spend_until_refused(s.url, key)
        return {"budget_usd": 0.0003, "admitted_before": before, "admitted_after": after}


def _spend_until_refused(url: str, key: str, most: int = 500) -> int:
    headers = {"authorization": f"Bearer {key}"}
    admitted = 0
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(most):
            response = http.post("/v1/chat/completions", json=CHAT, headers=headers)
            if response.status_code == 429:
                return admitted
            admitted += response.status_code == 200
    return admitted


def overcount(tree: Path, admin_url: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with stack(tree, admin_url) as s:
        for factor in ("1", "1.5", "2", "3", "3 learned"):
            s.fault(f"overcount={factor.split()[0]}")
            if factor.endswith("learned"):
                _, teacher = s.tenant()
                _burst(s.url, teacher, {**DOTS, "max_tokens": 1}, 3)
                time.sleep(2.5)  # every gateway process re-reads the factors
            for budget in ({"monthly_usd_budget": 1_000}, {"monthly_token_budget": 3_000}):
                _, key = s.tenant(plan="growth", **budget)
                answers = _burst(s.url, key, {**DOTS, "max_tokens": 1}, 200)
                served = [a for a in answers if a.status_code == 200]
                tokens = sum(a.json()["usage"]["total_tokens"] for a in served)
                micro = sum(float(a.headers["x-routerai-cost-usd"]) * 1e6 for a in served)
                cap, spent = (1_000, micro) if "monthly_usd_budget" in budget else (3_000, tokens)
                label = "usd $0.001" if cap == 1_000 else "3,000 tokens"
                found[f"x{factor}, {label}"] = {
                    "served": len(served),
                    "spent_over_budget": round(spent / cap, 3),
                }
        s.fault(None)
    return found


def _burst(url: str, key: str, body: dict[str, Any], count: int) -> list[httpx.Response]:
    async def fire() -> list[httpx.Response]:
        headers = {"authorization": f"Bearer {key}"}
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            path = "/v1/chat/completions"
            calls = [http.post(path, json=body, headers=headers) for _ in range(count)]
            return list(await asyncio.gather(*calls))

    return asyncio.run(fire())


def free_auto(tree: Path, admin_url: str) -> dict[str, Any]:
    with stack(tree, admin_url) as s:
        _, key = s.tenant(plan="free")
        headers = {"authorization": f"Bearer {key}"}
        body = {"model": "auto", "messages": [{"role": "user", "content": "Hello!"}]}
        statuses = [
            httpx.post(f"{s.url}/v1/chat/completions", json=body, headers=headers).status_code
            for _ in range(10)
        ]
        return {"statuses": dict(Counter(statuses))}


def hostile(tree: Path, admin_url: str) -> dict[str, Any]:
    with stack(tree, admin_url) as s:
        _, key = s.tenant()
        gateway = psutil.Process(s.gateway_pid)
        _burst(s.url, key, CHAT, 50)  # warm: encodings and caches loaded, as when serving
        start = peak = gateway.memory_info().rss
        sampling = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not sampling.wait(0.1):
                peak = max(peak, gateway.memory_info().rss)

        sampler = threading.Thread(target=sample)
        sampler.start()
        # The senders run in a process of their own, as in benchmarks/hostile_bodies.py.
        attack = argparse.Namespace(senders=10, messages=100_000, seconds=15)
        latencies, statuses = under_attack(s.url, key, attack)
        auth = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        inputs = json.dumps({"model": "text-embedding-3-small", "input": ["x"] * 30_000})
        embeddings = httpx.post(f"{s.url}/v1/embeddings", content=inputs, headers=auth)
        webhook = httpx.post(
            f"{s.url}/webhooks/stripe", content=b" " * (200 * 2**20), headers=auth, timeout=120
        )
        sampling.set()
        sampler.join()
        time.sleep(60)
        after = gateway.memory_info().rss
        return {
            "health_ms_under_bodies": _p50_p99(latencies),
            "body_statuses": statuses,
            "embeddings_30000_inputs": embeddings.status_code,
            "webhook_200_mib": webhook.status_code,
            "rss_mib": {
                "warm": round(start / 2**20, 1),
                "peak": round(peak / 2**20, 1),
                "60_s_after": round(after / 2**20, 1),
            },
        }


def _p50_p99(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[int(len(ordered) * 0.99)], 1),
        "probes": len(ordered),
    }


SCENARIOS: dict[str, Callable[[Path, str], dict[str, Any]]] = {
    "worker-kill": worker_kill,
    "redis-restart": redis_restart,
    "redis-loss": redis_loss,
    "overcount": overcount,
    "free-auto": free_auto,
    "hostile": hostile,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--other", type=Path, help="another copy of the repository")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    args = parser.parse_args()

    trees = {"this tree": ROOT}
    if args.other is not None:
        trees["other tree"] = args.other.resolve()
    results: dict[str, dict[str, Any]] = {}
    for name in args.only:
        for label, tree in trees.items():
            print(f"{name} ({label}) …", flush=True)
            results.setdefault(name, {})[label] = figures = SCENARIOS[name](tree, args.admin_url)
            print(json.dumps(figures, indent=2), flush=True)
    out = ROOT / "benchmarks" / "results" / f"faults-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
