"""Shared pieces of the benchmarks: servers as subprocesses, wrk runs, a seeded tenant."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
# uvicorn on a free port (`server` fills in {port}), quiet; GATEWAY runs the gateway's app.
UVICORN = [
    "uvicorn",
    "--host",
    "127.0.0.1",
    "--port",
    "{port}",
    "--log-level",
    "warning",
    "--no-access-log",
]
GATEWAY = [*UVICORN, "--factory", "gateway.api.app:create_app"]
POST_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


HALT_POLL = Path("/sys/module/haltpoll/parameters/guest_halt_poll_ns")


def halt_polling_ns() -> int | None:
    """How long an idle vCPU of this virtual machine polls before it halts (None: not a
    guest with the haltpoll driver). At 0 every idle moment halts the vCPU, and waking it
    again lies on the path of a request at one connection (benchmarks/README.md)."""
    try:
        return int(HALT_POLL.read_text())
    except (OSError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/health",
    ready_method: str = "GET",
    cwd: Path = ROOT,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `python -m <args>` in `cwd` (whose packages it imports first) with `{port}`
    filled in; yields (base URL, process)."""
    port = free_port()
    command = [sys.executable, "-m", *(a.format(port=port) for a in args)]
    process = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.request(ready_method, url + ready_path, timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{' '.join(args)} did not start") from None
                time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def sandbox_server(
    latency_ms: float = 0,
) -> AbstractContextManager[tuple[str, subprocess.Popen[bytes]]]:
    """`routerai sandbox` (every provider's wire protocol) answering after `latency_ms`."""
    command = ["routerai", "sandbox", "--port", "{port}", "--latency-ms", str(latency_ms)]
    return server(command, ready_path="/_sandbox/stats")


def wrk(url: str, body: str, key: str, *, connections: int, seconds: int) -> WrkResult:
    """One wrk run (one thread) POSTing `body` to `url`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(POST_SCRIPT % (body, key))
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkResult:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if match is None:
            raise ValueError(f"no {percent}% line in wrk's output:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), "
        r"timeout (\d+)",
        output,
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(rps, latency("50"), latency("99"), errors, total)


def seed_tenant(database_url: str) -> str:
    """Migrate, create an Enterprise organization with limits out of the way; its key."""
    from gateway.db.engine import make_engine
    from gateway.db.migrate import upgrade
    from gateway.db.orgs import create_organization
    from gateway.db.sessions import system_session, tenant_session
    from gateway.tenancy.keys import create_api_key

    upgrade(database_url)
    engine = make_engine(database_url)
    with system_session(engine) as session:
        org = create_organization(session, name="Bench", plan="enterprise")
        org.rpm_limit = org.tpm_limit = 2_000_000_000  # the INTEGER columns' ceiling
        session.add(org)
    with tenant_session(engine, org.id) as session:
        _, key = create_api_key(session, org=org, name="bench", environment="prod")
    engine.dispose()
    return key


def bench_tenant(redis_url: str) -> tuple[str, str]:
    """An emptied Redis database at `redis_url` and a new SQLite database holding the
    seeded tenant: (database URL, the tenant's key)."""
    redis.Redis.from_url(redis_url).flushdb()
    database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='routerai-bench-')) / 'bench.db'}"
    return database_url, seed_tenant(database_url)
