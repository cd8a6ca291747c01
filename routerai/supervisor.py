"""One supervisor for a machine's RouterAI processes: `routerai worker` (the ingest consumer,
two RQ workers and RQ's cron scheduler) and `routerai up` (the sandbox, the worker and the
web app) both run their children under it.

- Each child is `python -m …` in a process group of its own, so that a stop reaches each
  exactly once (twice would make RQ abandon the job in hand); on Linux a child also dies
  with the supervisor if the supervisor is killed outright.
- A child that exits is started again after a back-off (`Backoff`: 1 s, doubling up to
  30 s, back to 1 s once it has run a minute), with one line in the log. Each child's
  state and restart count go to Redis (`gateway.health.processes`), where every gateway's
  `/health` and `/metrics` read them; Redis being unreachable never stops the supervisor.
- SIGTERM/SIGINT stop every child within `grace_s` (SIGTERM, then SIGKILL for what is
  left), and the supervisor returns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

from gateway.health.processes import (
    HEARTBEAT_S,
    PROCESSES_KEY,
    ProcessStatus,
    State,
    forgotten,
)

POLL_S = 0.2


@dataclass(frozen=True)
class Backoff:
    """How long a child that exited waits before it is started again."""

    first_s: float = 1.0
    max_s: float = 30.0
    healthy_after_s: float = 60.0

    def after(self, previous_s: float | None, ran_s: float) -> float:
        """The wait for a child that ran `ran_s` seconds; `previous_s` is the wait before
        its last start (None if it was never started again)."""
        if previous_s is None or ran_s >= self.healthy_after_s:
            return self.first_s
        return min(self.max_s, previous_s * 2)


@dataclass(frozen=True)
class Child:
    """A supervised process: `python -m <args>`, reported under `name`."""

    name: str
    args: tuple[str, ...]


class _Slot:
    """A child and what the supervisor knows of it."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.wait_s: float | None = None
        self.due_at: float | None = None
        self.restarts = 0
        self.last_exit: int | None = None


class Supervisor:
    """Starts `children`, starts again whichever exits, and stops them all on request."""

    def __init__(
        self,
        children: Sequence[Child],
        *,
        env: Mapping[str, str],
        cwd: Path,
        redis_url: str | None = None,
        backoff: Backoff = Backoff(),
        grace_s: float = 4.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.slots = [_Slot(child) for child in children]
        self.env = dict(env)
        self.cwd = cwd
        self.backoff = backoff
        self.grace_s = grace_s
        self.log = log or _to_stderr
        self.host = socket.gethostname()
        self.stopping = threading.Event()
        self._redis = (
            redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
            if redis_url
            else None
        )
        self._heartbeat_at = 0.0

    def stop_on_signals(self) -> None:
        """SIGTERM and SIGINT (Ctrl-C) end `run`, even where SIGINT was inherited ignored."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())

    def start(self) -> None:
        self._forget_gone_machines()
        for slot in self.slots:
            self._spawn(slot)
        self._report()

    def exited(self) -> list[str]:
        """Children that have exited and not been started again yet, as "<name> exited with
        code <code>"."""
        return [
            f"{slot.child.name} exited with code {slot.process.returncode}"
            for slot in self.slots
            if slot.process is not None and slot.process.poll() is not None
        ]

    def run(self) -> None:
        """Supervise until `stopping` is set (by a signal, or by the caller)."""
        while not self.stopping.wait(POLL_S):
            self.check()

    def check(self) -> None:
        """One pass: note exits, start again what is due, and send the heartbeat."""
        now = time.monotonic()
        for slot in self.slots:
            if slot.due_at is None and slot.process is not None:
                code = slot.process.poll()
                if code is not None:
                    self._exited(slot, code, now)
            if slot.due_at is not None and now >= slot.due_at:
                self._spawn(slot)
        if now - self._heartbeat_at >= HEARTBEAT_S:
            self._report()

    def stop(self) -> None:
        """Stop every child within `grace_s`, and take their entries out of Redis."""
        running = [s.process for s in self.slots if s.process and s.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for process in running:
            try:
                process.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self._store(lambda client: client.hdel(PROCESSES_KEY, *self._fields()))
        if self._redis is not None:
            self._redis.close()

    def _spawn(self, slot: _Slot) -> None:
        slot.process = subprocess.Popen(
            [sys.executable, "-m", *slot.child.args],
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        slot.started_at = time.monotonic()
        slot.due_at = None
        if slot.restarts:
            self._report()

    def _exited(self, slot: _Slot, code: int, now: float) -> None:
        ran_s = now - slot.started_at
        slot.wait_s = self.backoff.after(slot.wait_s, ran_s)
        slot.due_at = now + slot.wait_s
        slot.restarts += 1
        slot.last_exit = code
        self.log(
            f"routerai: {slot.child.name} exited with code {code} after {ran_s:.1f} s; "
            f"starting it again in {slot.wait_s:g} s (restart {slot.restarts})"
        )
        self._report()

    def _status(self, slot: _Slot, seen_ms: int) -> ProcessStatus:
        state: State = "restarting" if slot.due_at is not None else "running"
        return ProcessStatus(
            self.host, slot.child.name, state, slot.restarts, seen_ms, slot.last_exit
        )

    def _report(self) -> None:
        self._heartbeat_at = time.monotonic()
        seen_ms = int(time.time() * 1000)
        entries = {
            status.field: status.encode()
            for status in (self._status(slot, seen_ms) for slot in self.slots)
        }
        self._store(lambda client: client.hset(PROCESSES_KEY, mapping=entries))

    def _forget_gone_machines(self) -> None:
        def prune(client: redis.Redis) -> None:
            fields = forgotten(client.hgetall(PROCESSES_KEY), int(time.time() * 1000))  # type: ignore[arg-type]
            if fields:
                client.hdel(PROCESSES_KEY, *fields)

        self._store(prune)

    def _fields(self) -> list[str]:
        return [f"{self.host}/{slot.child.name}" for slot in self.slots]

    def _store(self, write: Callable[[redis.Redis], object]) -> None:
        if self._redis is None:
            return
        with contextlib.suppress(redis.RedisError):
            write(self._redis)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
