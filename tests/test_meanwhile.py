"""`Meanwhile`: CPU work done while the caller waits on I/O, or when its result is asked for."""

from __future__ import annotations

import asyncio

import pytest

from gateway.background import Meanwhile


async def test_the_work_runs_while_the_caller_waits() -> None:
    done: list[str] = []
    answer = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(lambda: done.append("io") or answer.set_result(7))
    work = Meanwhile(lambda: done.append("work") or 42)
    assert done == []  # nothing runs until the caller suspends
    assert await answer == 7
    assert done == ["io", "work"]  # the loop ran it before resuming the caller
    assert work.result() == 42 and done == ["io", "work"]  # once


async def test_the_result_does_the_work_when_the_caller_never_waited() -> None:
    calls: list[int] = []
    work = Meanwhile(lambda: calls.append(1) or "value")
    assert work.result() == "value" and calls == [1]
    await asyncio.sleep(0)  # the scheduled run finds the work done
    assert calls == [1]


async def test_an_error_is_raised_where_the_result_is_asked_for() -> None:
    def broken() -> None:
        raise ValueError("no ranking")

    work = Meanwhile(broken)
    await asyncio.sleep(0)  # the loop runs it: the error is kept, not logged as unhandled
    with pytest.raises(ValueError, match="no ranking"):
        work.result()
