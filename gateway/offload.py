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

What a large body took is freed when its request ends, but the C allocator keeps freed
memory for reuse rather than returning it: after a run of hostile bodies the process stayed
hundreds of MiB above where it started. So `TRIM_AFTER_S` after the last large body, the
pool's thread asks the allocator to give back what it holds free (`malloc_trim`, glibc).
"""

from __future__ import annotations

import asyncio
import ctypes
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")

THRESHOLD_BYTES = 256 * 1024
TRIM_AFTER_S = 2.0


class Offload:
    """Runs body-sized work in place for small bodies, on its own thread pool for large ones."""

    def __init__(self, *, threshold_bytes: int = THRESHOLD_BYTES, threads: int = 1) -> None:
        self.threshold_bytes = threshold_bytes
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="large-body")
        self._trim: asyncio.TimerHandle | None = None

    async def run(self, size: int, work: Callable[..., R], *args: Any) -> R:
        """`work(*args)`, for a body of `size` bytes: here, or on the pool when it is large."""
        if size <= self.threshold_bytes:
            return work(*args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, work, *args)
        finally:
            if self._trim is not None:
                self._trim.cancel()
            self._trim = loop.call_later(TRIM_AFTER_S, self._trim_now, loop)

    def _trim_now(self, loop: asyncio.AbstractEventLoop) -> None:
        self._trim = None
        if _malloc_trim is not None:
            loop.run_in_executor(self._pool, _malloc_trim, 0)

    def close(self) -> None:
        """Stop the pool: work not yet started is cancelled, the work in hand finishes."""
        if self._trim is not None:
            self._trim.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _libc_malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    return trim


_malloc_trim = _libc_malloc_trim()
