"""The sliding window's arithmetic, case by case."""

from __future__ import annotations

import pytest

from gateway.ratelimit.window import (
    WINDOW_S,
    clamp_second,
    expired_slots,
    fits,
    remaining,
    reset_ms,
    retry_after_s,
)


@pytest.mark.parametrize(
    ("seen", "slot", "width", "expected"),
    [
        (None, 1000, 60, []),  # a new window drops nothing
        (1000, 1000, 60, []),  # same second
        (1000, 999, 60, []),  # never backwards
        (1000, 1001, 60, [941]),  # the window now spans 942..1001
        (1000, 1002, 60, [941, 942]),
        (1000, 1059, 60, list(range(941, 1000))),  # only 1000 stays
        (1000, 1060, 60, list(range(941, 1001))),
        (1000, 5000, 60, list(range(941, 1001))),  # idle: everything, and no more than 60
        (10, 40, 30, list(range(-19, 11))),
        (10, 12, 3, [8, 9]),
    ],
)
def test_expired_slots(seen: int | None, slot: int, width: int, expected: list[int]) -> None:
    assert list(expired_slots(seen, slot, width)) == expected


@pytest.mark.parametrize(
    ("now_ms", "seen", "expected"),
    [
        (1_000_500, (), (1000, 1_000_500)),
        (1_000_500, (None, None), (1000, 1_000_500)),
        (1_000_500, (999, 1000), (1000, 1_000_500)),
        (1_000_500, (1002, None), (1002, 1_002_000)),  # a lagging clock counts in the newest
        (1_000_500, (1001, 1003), (1003, 1_003_000)),
    ],
)
def test_clamp_second(now_ms: int, seen: tuple[int | None, ...], expected: tuple[int, int]) -> None:
    assert clamp_second(now_ms, *seen) == expected


@pytest.mark.parametrize(
    ("used", "amount", "limit", "expected"),
    [
        (0, 1, 1, True),
        (1, 1, 1, False),
        (49, 1, 50, True),
        (0, 51, 50, False),
        (10**9, 1, None, True),
        (0, 0, 0, True),
    ],
)
def test_fits(used: int, amount: int, limit: int | None, expected: bool) -> None:
    assert fits(used, amount, limit) is expected


@pytest.mark.parametrize(
    ("buckets", "excess", "now_ms", "expected"),
    [
        ([(1000, 5)], 1, 1_000_500, 60),  # 1000 leaves at 1060: 59.5 s, rounded up
        ([(1000, 5)], 1, 1_059_999, 1),  # never less than 1
        ([(1000, 5)], 1, 1_060_000, 1),
        ([(1000, 2), (1010, 3)], 2, 1_020_000, 40),  # the oldest bucket is enough
        ([(1000, 2), (1010, 3)], 3, 1_020_000, 50),  # needs the next one too
        ([(1000, 2), (1010, 3)], 6, 1_020_000, WINDOW_S),  # never frees: a whole window
        ([], 1, 1_020_000, WINDOW_S),
    ],
)
def test_retry_after(
    buckets: list[tuple[int, int]], excess: int, now_ms: int, expected: int
) -> None:
    assert retry_after_s(buckets, excess, now_ms) == expected


@pytest.mark.parametrize(
    ("used", "newest", "now_ms", "expected"),
    [
        (0, None, 1_000_000, 0),
        (0, 1000, 1_000_000, 0),
        (3, 1000, 1_000_250, 59_750),
        (3, 1000, 1_060_000, 0),
        (3, 1000, 1_070_000, 0),
    ],
)
def test_reset_ms(used: int, newest: int | None, now_ms: int, expected: int) -> None:
    assert reset_ms(used, newest, now_ms) == expected


@pytest.mark.parametrize(
    ("limit", "used", "expected"), [(50, 0, 50), (50, 49, 1), (50, 50, 0), (50, 80, 0)]
)
def test_remaining(limit: int, used: int, expected: int) -> None:
    assert remaining(limit, used) == expected
