"""The supervisor: a child that exits is started again with back-off, logged in one line and
reported to Redis; a stop ends every child and takes the reports back."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from gateway.health.processes import PROCESSES_KEY, ProcessStatus
from routerai.supervisor import Backoff, Child, Supervisor
from tests.fixtures.processes import alive, wait_for

ROOT = Path(__file__).resolve().parents[2]
FOREVER = Child("steady", ("tests.routerai.child",))


@pytest.mark.parametrize(
    ("previous_s", "ran_s", "wait_s"),
    [
        (None, 0.1, 1.0),  # the first exit
        (1.0, 0.1, 2.0),  # exits in a row double the wait…
        (8.0, 5.0, 16.0),
        (16.0, 5.0, 30.0),  # …up to 30 s
        (30.0, 5.0, 30.0),
        (30.0, 60.0, 1.0),  # a minute of running starts over
        (None, 3600.0, 1.0),
    ],
)
def test_the_wait_doubles_up_to_30_s_and_starts_over_after_a_minute_of_running(
    previous_s: float | None, ran_s: float, wait_s: float
) -> None:
    assert Backoff().after(previous_s, ran_s) == wait_s


@pytest.fixture
def supervise(redis_url: str) -> Iterator[Callable[..., tuple[Supervisor, list[str]]]]:
    """supervise(children, backoff=…) → a started supervisor running in a thread, and its log."""
    started: list[tuple[Supervisor, threading.Thread]] = []

    def start(children: list[Child], backoff: Backoff = Backoff()) -> tuple[Supervisor, list[str]]:
        lines: list[str] = []
        supervisor = Supervisor(
            children,
            env=dict(os.environ),
            cwd=ROOT,
            redis_url=redis_url,
            backoff=backoff,
            grace_s=2,
            log=lines.append,
        )
        supervisor.start()
        thread = threading.Thread(target=supervisor.run)
        thread.start()
        started.append((supervisor, thread))
        return supervisor, lines

    yield start
    for supervisor, thread in started:
        supervisor.stopping.set()
        thread.join()
        supervisor.stop()


def pid_of(supervisor: Supervisor, name: str) -> int | None:
    slot = next(slot for slot in supervisor.slots if slot.child.name == name)
    return None if slot.process is None or slot.process.poll() is not None else slot.process.pid


def reported(client: redis.Redis) -> dict[str, ProcessStatus]:
    raw: dict[bytes, bytes] = client.hgetall(PROCESSES_KEY)  # type: ignore[assignment]
    return {status.name: status for status in map(ProcessStatus.decode, raw.values())}


def test_a_killed_child_is_started_again_logged_and_reported(
    supervise: Callable[..., tuple[Supervisor, list[str]]], redis_client: redis.Redis
) -> None:
    other = Child("other", ("tests.routerai.child",))
    supervisor, lines = supervise([FOREVER, other], Backoff(first_s=0.1))
    first = pid_of(supervisor, "steady")
    untouched = pid_of(supervisor, "other")
    assert first is not None and {s.state for s in reported(redis_client).values()} == {"running"}

    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: (pid := pid_of(supervisor, "steady")) != first and pid)

    assert second != first and pid_of(supervisor, "other") == untouched
    assert len(lines) == 1
    assert lines[0].startswith("routerai: steady exited with code -9 after ")
    assert lines[0].endswith("; starting it again in 0.1 s (restart 1)")
    steady = wait_for(
        lambda: (
            reported(redis_client)["steady"].state == "running" and reported(redis_client)["steady"]
        )
    )
    assert (steady.restarts, steady.last_exit) == (1, -9)
    assert reported(redis_client)["other"].restarts == 0


def test_a_child_that_keeps_exiting_waits_longer_each_time(
    supervise: Callable[..., tuple[Supervisor, list[str]]], redis_client: redis.Redis
) -> None:
    failing = Child("failing", ("tests.routerai.child", "0", "3"))
    _, lines = supervise([failing], Backoff(first_s=0.05, max_s=0.2))

    wait_for(lambda: len(lines) >= 5)

    waits = [line.split("starting it again in ")[1].split(" s")[0] for line in lines[:5]]
    assert waits == ["0.05", "0.1", "0.2", "0.2", "0.2"]
    assert all("exited with code 3" in line for line in lines)
    assert reported(redis_client)["failing"].restarts >= 4


def test_a_stop_ends_every_child_and_takes_back_the_reports(
    redis_url: str, redis_client: redis.Redis
) -> None:
    supervisor = Supervisor(
        [FOREVER, Child("second", ("tests.routerai.child",))],
        env=dict(os.environ),
        cwd=ROOT,
        redis_url=redis_url,
        grace_s=2,
        log=lambda line: None,
    )
    supervisor.start()
    pids = [pid_of(supervisor, name) for name in ("steady", "second")]
    assert len(reported(redis_client)) == 2

    supervisor.stop()

    assert all(pid is not None and not alive(pid) for pid in pids)
    assert reported(redis_client) == {}


def test_redis_out_of_reach_does_not_stop_the_supervisor() -> None:
    lines: list[str] = []
    supervisor = Supervisor(
        [FOREVER],
        env=dict(os.environ),
        cwd=ROOT,
        redis_url="redis://127.0.0.1:9/0",  # nothing listens on the discard port
        backoff=Backoff(first_s=0.05),
        grace_s=2,
        log=lines.append,
    )
    supervisor.start()
    first = pid_of(supervisor, "steady")
    assert first is not None
    os.kill(first, signal.SIGKILL)

    def restarted() -> bool:
        supervisor.check()
        return pid_of(supervisor, "steady") not in (None, first)

    wait_for(restarted)
    supervisor.stop()

    assert len(lines) == 1
