"""Start the real product for browser tests: the web app, workers, the sandbox.

- the web app: `reflex run --env prod --single-port` (one backend worker), serving the
  pages, the sign-in routes and the gateway on one port;
- the usage-stream consumer (`python -m workers ingest`), so traffic reaches
  request_logs and the overview;
- the RQ worker that runs benchmarks, as `routerai worker` starts it
  (`python -m workers jobs` on `workers.queues.SLOW_WORKER`);
- the upstream sandbox (`python -m routerai sandbox --latency-ms 0`) for every provider.

They share one PostgreSQL database (migrated first) and Redis database 2 (flushed
first), as the product's processes do. Each runs in its own process group, logging to
test-artifacts/logs/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis

from workers.queues import SLOW_WORKER

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_LOCK = REPO_ROOT / "reflex.lock"
E2E_REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/2")
# The first production build installs the frontend packages with bun and
# compiles them; on a cold cache and 2 cores that takes minutes.
STARTUP_TIMEOUT_S = 900.0
PROGRESS_EVERY_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(port),
        "--backend-host",
        "127.0.0.1",
    ]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def web_lock() -> dict[str, bytes]:
    """The files of reflex.lock/ (bun.lock and the package.json it locks), by name."""
    return {path.name: path.read_bytes() for path in sorted(WEB_LOCK.iterdir())}


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def spawn(cls, name: str, command: list[str], env: Mapping[str, str], log_dir: Path) -> Process:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(name, popen, log_path)

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.popen.returncode}:\n{tail(self.log_path)}"
            )

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM the process group (the process and its children), then SIGKILL."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        with contextlib.suppress(ProcessLookupError):  # children that outlived their parent
            os.killpg(self.popen.pid, signal.SIGKILL)


@dataclass
class Stack:
    """The running product: `base_url` serves pages, sign-in and the gateway.

    `web_lock_before_build` is reflex.lock/ as the web app's build found it."""

    base_url: str
    env: dict[str, str]
    web_lock_before_build: dict[str, bytes]
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        *,
        data_dir: Path,
        log_dir: Path,
        database_url: str,
        extra_env: Mapping[str, str] | None = None,
    ) -> Stack:
        from gateway.db.migrate import upgrade

        upgrade(database_url)
        flush_redis(E2E_REDIS_URL)
        port, sandbox_port = free_port(), free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
        env.update(
            {
                "ROUTERAI_DATA_DIR": str(data_dir),
                "DATABASE_URL": database_url,
                "REDIS_URL": E2E_REDIS_URL,
                "ROUTERAI_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
                "ROUTERAI_PUBLIC_URL": base_url,
                "GRANIAN_WORKERS": "1",
                "PYTHONUNBUFFERED": "1",
                **dict(extra_env or {}),
            }
        )
        stack = cls(base_url, env, web_lock())
        python = sys.executable
        sandbox = [python, "-m", "routerai", "sandbox", "--port", str(sandbox_port)]
        stack.processes = [
            Process.spawn("sandbox", [*sandbox, "--latency-ms", "0"], env, log_dir),
            Process.spawn("ingest", [python, "-m", "workers", "ingest"], env, log_dir),
            Process.spawn(
                "jobs-slow", [python, "-m", "workers", "jobs", *SLOW_WORKER], env, log_dir
            ),
            Process.spawn("reflex-run", web_command(port), env, log_dir),
        ]
        return stack

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def web(self) -> Process:
        return self.processes[-1]

    def wait_until_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Block until `/` and `/health` answer 200; fail with the log's tail otherwise."""
        started = time.monotonic()
        next_report = started + PROGRESS_EVERY_S
        while not (answers(f"{self.base_url}/") and answers(f"{self.base_url}/health")):
            now = time.monotonic()
            for process in self.processes:
                process.check_alive()
            if now - started > timeout_s:
                raise TimeoutError(
                    f"web app not ready after {timeout_s:.0f}s:\n{tail(self.web.log_path)}"
                )
            if now >= next_report:
                last = tail(self.web.log_path, 1) or "(no output yet)"
                print(
                    f"[e2e] waiting for the web app ({now - started:.0f}s): {last}",
                    file=sys.stderr,
                    flush=True,
                )
                next_report = now + PROGRESS_EVERY_S
            time.sleep(0.5)
        print(
            f"[e2e] web app ready at {self.base_url} after {time.monotonic() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
