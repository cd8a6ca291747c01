"""Work off a request's path: during its waits on I/O (`Meanwhile`), or after its answer
(`BackgroundTasks`: kept referenced until done, failures logged, drainable)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Meanwhile(Generic[T]):
    """`work` (plain CPU), done while the caller waits on its next I/O.

    Made just before an await that goes to Redis or upstream: the loop runs `work` as soon
    as the caller's task suspends there, so it takes no time on the request's path while the
    other end works. `result()` gives its value (or raises its error), doing it then if the
    await never suspended.
    """

    __slots__ = ("_error", "_value", "_work")

    def __init__(self, work: Callable[[], T]) -> None:
        self._work: Callable[[], T] | None = work
        self._error: BaseException | None = None
        asyncio.get_running_loop().call_soon(self._run)

    def result(self) -> T:
        self._run()
        if self._error is not None:
            raise self._error
        return self._value

    def _run(self) -> None:
        work, self._work = self._work, None
        if work is None:
            return
        try:
            self._value = work()
        except Exception as exc:  # raised where the caller asks for the result
            self._error = exc


class BackgroundTasks:
    """Tasks started for after the response (settles, cache fills, bookkeeping).

    Holding a reference keeps them from being garbage-collected mid-flight; `drain` waits
    for all of them (shutdown, tests); a failure is logged under `what`, never raised.
    """

    def __init__(self, what: str) -> None:
        self._what = what
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s failed: %r", self._what, task.exception())
