"""`Offload`: work that grows with a request body's size, kept off the event loop when large.

Reading a body (parsing its JSON, checking its fields, counting its tokens) takes time in
proportion to its size, and on the event loop that time is taken from every other request
of the process: ten bodies of 100,000 messages (3 MB each, under the 4 MiB limit) held
`/health` up for a second (`benchmarks/hostile_bodies.py`). The work on a body larger than
`threshold_bytes` therefore runs on a worker thread. The pool has one thread by default:
large bodies wait for each other rather than for everyone, and the event loop shares the
interpreter with one busy thread, not many (the thread gives it back every few
milliseconds; a single parse by orjson holds it throughout, some 10 ms per MB).

Bodies at or under the threshold, which is nearly every request, are worked on in place:
a hop to a thread and back costs more than reading them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")

THRESHOLD_BYTES = 256 * 1024


class Offload:
    """Runs body-sized work in place for small bodies, on its own thread pool for large ones."""

    def __init__(self, *, threshold_bytes: int = THRESHOLD_BYTES, threads: int = 1) -> None:
        self.threshold_bytes = threshold_bytes
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="large-body")

    async def run(self, size: int, work: Callable[..., R], *args: Any) -> R:
        """`work(*args)`, for a body of `size` bytes: here, or on the pool when it is large."""
        if size <= self.threshold_bytes:
            return work(*args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    def close(self) -> None:
        """Stop the pool: work not yet started is cancelled, the work in hand finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)
