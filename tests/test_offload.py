"""`Offload`: work on a small body runs in place; on a large one, on the pool's thread."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest

from gateway.errors import InvalidRequest
from gateway.offload import Offload


@pytest.fixture
async def offload() -> AsyncIterator[Offload]:
    pool = Offload(threshold_bytes=1000)
    yield pool
    pool.close()


def where() -> str:
    return threading.current_thread().name


def refuse(message: str) -> None:
    raise InvalidRequest(message)


async def test_work_on_a_body_up_to_the_threshold_runs_on_the_event_loop_s_thread(
    offload: Offload,
) -> None:
    assert await offload.run(1000, where) == threading.current_thread().name


async def test_work_on_a_larger_body_runs_on_the_pool_s_one_thread(offload: Offload) -> None:
    assert {await offload.run(1001, where) for _ in range(5)} == {"large-body_0"}


async def test_a_refusal_raised_on_the_pool_reaches_the_caller(offload: Offload) -> None:
    with pytest.raises(InvalidRequest, match="too many"):
        await offload.run(5000, refuse, "too many")
