"""The breaker's pure transitions."""

from __future__ import annotations

import pytest

from gateway.health.breaker import (
    CLOSED,
    BreakerPolicy,
    BreakerState,
    BreakerStatus,
    admit,
    blocks,
    is_provider_failure,
    record,
    retry_after_s,
)

POLICY = BreakerPolicy(
    failure_threshold=3,
    error_ratio=0.5,
    min_volume=10,
    window_s=60,
    cooldown_s=30,
    probe_timeout_s=10,
)
T0 = 1_800_000_000_000  # ms


def run(outcomes: str, start: BreakerState = CLOSED, step_ms: int = 100) -> BreakerState:
    """Apply outcomes ('o' ok, 'x' failed), one every step_ms from T0."""
    state = start
    for i, outcome in enumerate(outcomes):
        state = record(state, outcome == "o", T0 + i * step_ms, POLICY)
    return state


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ("", BreakerStatus.CLOSED),
        ("xx", BreakerStatus.CLOSED),
        ("xxx", BreakerStatus.OPEN),  # N in a row
        ("xxoxx", BreakerStatus.CLOSED),  # a success resets the run
        ("oxoxoxoxox", BreakerStatus.OPEN),  # 50 % over 10 results
        ("oxoxoxoxo", BreakerStatus.CLOSED),  # below the minimum volume
        ("ooxoxoxoxo", BreakerStatus.CLOSED),  # 40 %
    ],
)
def test_opening(outcomes: str, status: BreakerStatus) -> None:
    assert run(outcomes).status is status


def test_the_window_forgets_old_results() -> None:
    state = run("oxoxoxoxo")  # 4 of 9 failed
    later = record(state, False, T0 + 61_000, POLICY)  # a new window: 1 of 1
    assert later.status is BreakerStatus.CLOSED and later.window_total == 1


def test_open_refuses_until_the_cool_down_then_hands_out_one_probe() -> None:
    opened = run("xxx")
    t_open = opened.opened_at_ms
    assert admit(opened, t_open + 29_999, POLICY) == (False, opened)
    assert blocks(opened, t_open + 29_999, POLICY)
    assert retry_after_s(opened, t_open + 29_001, POLICY) == 1
    allowed, probing = admit(opened, t_open + 30_000, POLICY)
    assert allowed and probing.status is BreakerStatus.HALF_OPEN
    assert admit(probing, t_open + 30_001, POLICY)[0] is False  # one probe at a time
    assert blocks(probing, t_open + 30_001, POLICY)


def test_a_lapsed_probe_lease_is_handed_out_again() -> None:
    _, probing = admit(run("xxx"), T0 + 40_000, POLICY)
    allowed, again = admit(probing, probing.probe_until_ms, POLICY)
    assert allowed and again.probe_until_ms == probing.probe_until_ms + POLICY.probe_ms


def test_probe_success_closes_probe_failure_reopens() -> None:
    _, probing = admit(run("xxx"), T0 + 40_000, POLICY)
    closed = record(probing, True, T0 + 40_500, POLICY)
    assert closed == BreakerState(BreakerStatus.CLOSED, window_start_ms=T0 + 40_500)
    reopened = record(probing, False, T0 + 40_500, POLICY)
    assert reopened.status is BreakerStatus.OPEN and reopened.opened_at_ms == T0 + 40_500
    assert admit(reopened, T0 + 40_500 + 29_000, POLICY)[0] is False


def test_results_while_open_are_ignored() -> None:
    opened = run("xxx")
    assert record(opened, True, T0 + 1_000, POLICY) is opened
    assert record(opened, False, T0 + 1_000, POLICY) is opened


def test_closed_allows_without_change() -> None:
    assert admit(CLOSED, T0, POLICY) == (True, CLOSED)
    assert not blocks(CLOSED, T0, POLICY) and retry_after_s(CLOSED, T0, POLICY) == 0


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (None, True),
        (500, True),
        (503, True),
        (429, True),
        (401, True),
        (403, True),
        (408, True),
        (200, False),
        (400, False),
        (404, False),
        (413, False),
        (422, False),
    ],
)
def test_what_counts_as_a_provider_failure(status: int | None, failure: bool) -> None:
    assert is_provider_failure(status) is failure


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        BreakerPolicy(failure_threshold=0)
    with pytest.raises(ValueError):
        BreakerPolicy(error_ratio=1.5)
    with pytest.raises(ValueError):
        BreakerPolicy(cooldown_s=0)
