"""Start the real web app (`reflex run --env prod --single-port`) for browser tests."""

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
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The first production build installs the frontend packages with bun and
# compiles them; on a cold cache and 2 cores that takes minutes.
STARTUP_TIMEOUT_S = 900.0
PROGRESS_EVERY_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int) -> list[str]:
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


def server_environment(data_dir: Path) -> dict[str, str]:
    """The caller's environment with the app's state pointed at `data_dir`.

    REDIS_URL is removed so the app runs on its embedded defaults, like a fresh clone.
    """
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        {
            "ROUTERAI_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{(data_dir / 'routerai.db').as_posix()}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class WebServer:
    """A `reflex run` process in its own process group, logging to `log_path`."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, data_dir: Path, log_path: Path) -> WebServer:
        port = free_port()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                server_command(port),
                cwd=REPO_ROOT,
                env=server_environment(data_dir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(f"http://127.0.0.1:{port}", process, log_path)

    def wait_until_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Block until `/` and `/health` answer 200; fail with the log's tail otherwise."""
        started = time.monotonic()
        next_report = started + PROGRESS_EVERY_S
        while not (answers(f"{self.base_url}/") and answers(f"{self.base_url}/health")):
            now = time.monotonic()
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"reflex run exited with {self.process.returncode}:\n{tail(self.log_path)}"
                )
            if now - started > timeout_s:
                raise TimeoutError(
                    f"web app not ready after {timeout_s:.0f}s:\n{tail(self.log_path)}"
                )
            if now >= next_report:
                last = tail(self.log_path, 1) or "(no output yet)"
                print(
                    f"[e2e] waiting for the web app ({now - started:.0f}s): {last}",
                    file=sys.stderr,
                    flush=True,
                )
                next_report = now + PROGRESS_EVERY_S
            time.sleep(1.0)
        print(
            f"[e2e] web app ready at {self.base_url} after {time.monotonic() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM the whole process group (reflex, its server and workers), then SIGKILL."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # workers that outlived reflex
            os.killpg(self.process.pid, signal.SIGKILL)
