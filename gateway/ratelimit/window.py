"""Sliding-window arithmetic for per-minute limits: pure functions of plain values.

A scope (an organization, or one API key) counts requests and tokens in one-second buckets.
Its usage is the sum of the buckets of the last `WINDOW_S` seconds, so a limit holds exactly
over any 60-second window at one-second granularity. The same bucket scheme, with one-minute
slots, holds the budget's outstanding reservations (see `gateway.budget.policy`).

A window only moves forward: `newest seen` is the latest slot it has advanced to, and a caller
whose clock lags behind it counts in that slot instead (see `clamp_second`). The Lua scripts in
`gateway.budget.scripts` mirror these functions line for line; the parity tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Iterable

WINDOW_S = 60
"""Width of the rate-limit window in one-second buckets."""

SCOPE_TTL_S = 2 * WINDOW_S
"""How long an idle scope's counters live in Redis: garbage collection only, never semantics."""


def expired_slots(newest_seen: int | None, slot: int, width: int) -> range:
    """The slots that leave a `width`-slot window when it advances from `newest_seen` to `slot`.

    Every live bucket lies in (newest_seen - width, newest_seen], so at most `width` slots are
    ever dropped, however long the window sat idle.
    """
    if newest_seen is None or slot <= newest_seen:
        return range(0)
    return range(newest_seen - width + 1, min(slot - width, newest_seen) + 1)


def clamp_second(now_ms: int, *newest_seen: int | None) -> tuple[int, int]:
    """The second a request counts in and the matching `now_ms`, never behind a window.

    Replicas' clocks differ a little; counting a lagging replica's request in the newest second
    already seen keeps every window monotonic, so no bucket is written behind its cleanup.
    """
    second = now_ms // 1000
    for seen in newest_seen:
        if seen is not None and seen > second:
            second = seen
    return second, max(now_ms, second * 1000)


def fits(used: int, amount: int, limit: int | None) -> bool:
    """Whether `amount` more stays within `limit` (None: no limit)."""
    return limit is None or used + amount <= limit


def retry_after_s(buckets: Iterable[tuple[int, int]], excess: int, now_ms: int) -> int:
    """Seconds until the oldest buckets holding `excess` units have left the window (>= 1).

    `buckets` are (second, amount) pairs, oldest first. An `excess` the window can never free
    (a single request larger than the limit) waits a whole window.
    """
    freed = 0
    for second, amount in buckets:
        freed += amount
        if freed >= excess:
            return max(1, -(-((second + WINDOW_S) * 1000 - now_ms) // 1000))
    return WINDOW_S


def reset_ms(used: int, newest_used: int | None, now_ms: int) -> int:
    """Milliseconds until a scope's window is back to its initial state (all usage expired)."""
    if used <= 0 or newest_used is None:
        return 0
    return max(0, (newest_used + WINDOW_S) * 1000 - now_ms)


def remaining(limit: int, used: int) -> int:
    """What is left of `limit`, never negative (a settle may overshoot a limit)."""
    return limit - used if used < limit else 0
