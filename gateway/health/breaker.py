"""The circuit breaker of one provider credential, as pure transitions with `now` passed in.

                failures ≥ threshold in a row, or
                error ratio ≥ limit over the window (≥ min volume)
      CLOSED ─────────────────────────────────────────────────▶ OPEN
        ▲                                                        │ cool-down elapsed:
        │ probe succeeds                                         │ the next caller
        │                     probe fails                        ▼ becomes the probe
        └────────────────── HALF_OPEN ◀─────────────────────────┘
                               │  ▲
                               └──┘ one probe at a time: a lease of `probe_timeout_s`,
                                    taken again by the next caller if it lapses

`admit` is what a caller does before an attempt (it may claim the probe), `record` what it
does after; `blocks` is the same question as `admit` without claiming anything, for ranking.
Times are integer milliseconds so the Lua mirror (`gateway.health.scripts`) computes exactly
the same states; the error ratio is compared in per-mille integers for the same reason.

Results recorded while OPEN are ignored (attempts that began before it opened); while HALF_OPEN
the first result decides, the probe's as a rule. The window is fixed, not sliding: it starts at
the first result after the previous window ended.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum


class BreakerStatus(IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a breaker opens and how it recovers."""

    failure_threshold: int = 5
    error_ratio: float = 0.5
    min_volume: int = 20
    window_s: float = 60.0
    cooldown_s: float = 30.0
    probe_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.min_volume < 1:
            raise ValueError("failure_threshold and min_volume must be at least 1")
        if not 0 < self.error_ratio <= 1:
            raise ValueError("error_ratio must be in (0, 1]")
        if min(self.window_s, self.cooldown_s, self.probe_timeout_s) <= 0:
            raise ValueError("window_s, cooldown_s and probe_timeout_s must be positive")

    @property
    def ratio_permille(self) -> int:
        return round(self.error_ratio * 1000)

    @property
    def window_ms(self) -> int:
        return round(self.window_s * 1000)

    @property
    def cooldown_ms(self) -> int:
        return round(self.cooldown_s * 1000)

    @property
    def probe_ms(self) -> int:
        return round(self.probe_timeout_s * 1000)


@dataclass(frozen=True, slots=True)
class BreakerState:
    """What Redis keeps per credential (a missing key is the default: closed, nothing seen)."""

    status: BreakerStatus = BreakerStatus.CLOSED
    consecutive: int = 0
    window_start_ms: int = 0
    window_total: int = 0
    window_failures: int = 0
    opened_at_ms: int = 0
    probe_until_ms: int = 0


CLOSED = BreakerState()


def to_ms(now: float) -> int:
    return int(now * 1000)


def blocks(state: BreakerState, now_ms: int, policy: BreakerPolicy) -> bool:
    """Would `admit` refuse at `now_ms`? (Nothing is claimed.)"""
    if state.status is BreakerStatus.OPEN:
        return now_ms < state.opened_at_ms + policy.cooldown_ms
    if state.status is BreakerStatus.HALF_OPEN:
        return now_ms < state.probe_until_ms
    return False


def admit(state: BreakerState, now_ms: int, policy: BreakerPolicy) -> tuple[bool, BreakerState]:
    """May an attempt go through? A breaker past its cool-down hands out the one probe."""
    if state.status is BreakerStatus.CLOSED:
        return True, state
    if blocks(state, now_ms, policy):
        return False, state
    probe = replace(state, status=BreakerStatus.HALF_OPEN, probe_until_ms=now_ms + policy.probe_ms)
    return True, probe


def record(state: BreakerState, ok: bool, now_ms: int, policy: BreakerPolicy) -> BreakerState:
    """The state after an attempt that succeeded (`ok`) or failed."""
    if state.status is BreakerStatus.OPEN:
        return state
    if state.status is BreakerStatus.HALF_OPEN:
        return _closed(now_ms) if ok else _opened(now_ms)
    start, total, failures = state.window_start_ms, state.window_total, state.window_failures
    if now_ms - start >= policy.window_ms:
        start, total, failures = now_ms, 0, 0
    total += 1
    consecutive = 0 if ok else state.consecutive + 1
    failures += 0 if ok else 1
    if not ok and _trips(consecutive, total, failures, policy):
        return _opened(now_ms)
    return BreakerState(BreakerStatus.CLOSED, consecutive, start, total, failures)


def retry_after_s(state: BreakerState, now_ms: int, policy: BreakerPolicy) -> int:
    """Whole seconds until `admit` could say yes again (0 when it would now)."""
    if not blocks(state, now_ms, policy):
        return 0
    if state.status is BreakerStatus.OPEN:
        until = state.opened_at_ms + policy.cooldown_ms
    else:
        until = state.probe_until_ms
    return max(1, -(-(until - now_ms) // 1000))


def _trips(consecutive: int, total: int, failures: int, policy: BreakerPolicy) -> bool:
    if consecutive >= policy.failure_threshold:
        return True
    return total >= policy.min_volume and failures * 1000 >= policy.ratio_permille * total


def _opened(now_ms: int) -> BreakerState:
    return BreakerState(BreakerStatus.OPEN, window_start_ms=now_ms, opened_at_ms=now_ms)


def _closed(now_ms: int) -> BreakerState:
    return BreakerState(BreakerStatus.CLOSED, window_start_ms=now_ms)


def is_provider_failure(status: int | None) -> bool:
    """Does an attempt's outcome count against the provider's breaker?

    None (no HTTP answer: connect error, timeout, a stream cut before its first token),
    401/403 (the credential is refused), 408, 429 and 5xx do; other statuses are the
    client's own errors, which say nothing about the provider's health.
    """
    if status is None:
        return True
    return status in (401, 403, 408, 429) or status >= 500
