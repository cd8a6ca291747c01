"""OpenAI's rate-limit headers: reset formatting, the tighter scope, the header set."""

from __future__ import annotations

import pytest

from gateway.budget.admission import AdmissionResult, Reason, Reservation
from gateway.ratelimit.headers import format_reset, rate_limit_headers, tighter


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (-5, "0s"),
        (0, "0s"),
        (1, "1ms"),
        (20, "20ms"),
        (999, "999ms"),
        (1000, "1s"),
        (1500, "1.5s"),
        (1020, "1.02s"),
        (8640, "8.64s"),
        (59_999, "59.999s"),
        (60_000, "1m0s"),
        (61_500, "1m1.5s"),
        (360_000, "6m0s"),
        (3_599_000, "59m59s"),
        (3_600_000, "1h0m0s"),
        (3_723_004, "1h2m3.004s"),
        (90_000_000, "25h0m0s"),
    ],
)
def test_format_reset_reads_like_openai(ms: int, expected: str) -> None:
    assert format_reset(ms) == expected


@pytest.mark.parametrize(
    ("org", "key", "expected"),
    [
        ((50, 10, 1000), (None, 0, 0), (50, 40, 1000)),  # no key limit: the org's
        ((50, 10, 1000), (20, 5, 2000), (20, 15, 2000)),  # the key has less left
        ((50, 45, 1000), (20, 5, 2000), (50, 5, 1000)),  # tie on what is left: the org's
        ((50, 48, 1000), (20, 5, 2000), (50, 2, 1000)),
        ((50, 50, 1000), (20, 20, 2000), (20, 0, 2000)),  # both spent: the smaller limit
        ((50, 60, 1000), (100, 0, 0), (50, 0, 1000)),  # overshoot never goes negative
    ],
)
def test_tighter_scope(
    org: tuple[int, int, int], key: tuple[int | None, int, int], expected: tuple[int, int, int]
) -> None:
    assert tighter(*org, *key) == expected


def _result(retry: int | None) -> AdmissionResult:
    return AdmissionResult(
        retry is None,
        None if retry is None else Reason.ORG_REQUESTS,
        retry,
        50,
        0 if retry else 49,
        "59.5s",
        10_000,
        9_000,
        "6m0s",
        1000,
        Reservation(tokens=100, cost_micro=10, output_tokens=0, counted=100),
    )


def test_headers_of_an_admitted_request() -> None:
    assert rate_limit_headers(_result(None)) == {
        "x-ratelimit-limit-requests": "50",
        "x-ratelimit-remaining-requests": "49",
        "x-ratelimit-reset-requests": "59.5s",
        "x-ratelimit-limit-tokens": "10000",
        "x-ratelimit-remaining-tokens": "9000",
        "x-ratelimit-reset-tokens": "6m0s",
    }


def test_a_rejection_carries_retry_after() -> None:
    headers = _result(7).headers
    assert headers["retry-after"] == "7"
    assert headers["x-ratelimit-remaining-requests"] == "0"
