"""`routerai worker`: every worker process of one machine, started and stopped together.

Children: the ingest consumer, a fast and a slow RQ worker (`workers.queues`) and RQ's cron
scheduler, each `python -m workers <kind>` in a process group of its own, so that a stop
reaches each exactly once (twice would make RQ abandon the job in hand). SIGTERM/SIGINT
stops them all (RQ workers finish their current job within `STOP_GRACE_S`); any child
exiting on its own stops the rest and fails the command, as `routerai up` does. On Linux
the children also die with the supervisor if it is killed outright.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType

from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings
from workers.queues import FAST_WORKER, SLOW_WORKER

CHILDREN: dict[str, list[str]] = {
    "ingest": ["ingest"],
    "jobs-fast": ["jobs", *FAST_WORKER],
    "jobs-slow": ["jobs", *SLOW_WORKER],
    "scheduler": ["scheduler"],
}
STOP_GRACE_S = 8.0


class _Stopping(Exception):
    pass


def run(settings: Settings, *, burst: bool = False) -> None:
    """Run every worker process until SIGTERM/SIGINT; with `burst`, drain everything and return."""
    if burst:
        from workers.runner import run_burst

        run_burst(settings)
        return
    url, keep_alive = resolve_redis_url(settings)
    env = {**os.environ, "REDIS_URL": url}
    if settings.database_url is None:
        env["DATABASE_URL"] = settings.resolved_database_url
    children: dict[str, subprocess.Popen[bytes]] = {}
    _on_stop_signals(_raise_stopping)
    try:
        for name, args in CHILDREN.items():
            children[name] = _spawn(args, env)
        _supervise(children)
    except _Stopping:
        pass
    finally:
        _on_stop_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        _stop(children)
        del keep_alive


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers", *args],
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _supervise(children: dict[str, subprocess.Popen[bytes]]) -> None:
    while True:
        for name, child in children.items():
            if child.poll() is not None:
                raise RuntimeError(f"worker process {name!r} exited with code {child.returncode}")
        time.sleep(0.5)


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    running = [child for child in children.values() if child.poll() is None]
    for child in running:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for child in running:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.wait()


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)


def _raise_stopping(signum: int, frame: FrameType | None) -> None:
    raise _Stopping


def _on_stop_signals(handler: Callable[[int, FrameType | None], None] | signal.Handlers) -> None:
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
