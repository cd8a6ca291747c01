"""The admission decision, pure: which limit comes first, how long to wait, what to report."""

from __future__ import annotations

import pytest

from gateway.budget.admission import Admission, Limits, Reason, Reservation
from gateway.budget.decision import Buckets, build_result, decide
from gateway.budget.policy import BudgetState

NOW_MS = 1_000_500  # second 1000, half-way through
LIMITS = Limits(
    org_rpm=10, org_tpm=1000, key_rpm=None, key_tpm=None, budget_tokens=None, budget_usd_micro=None
)
EMPTY: tuple[int, int, Buckets] = (0, 0, {})


def _admission(limits: Limits = LIMITS, tokens: int = 100, cost: int = 10) -> Admission:
    return Admission("org", "key", limits, tokens, cost, "2026-01-01", 3600, NOW_MS / 1000)


def _scope(*buckets: tuple[int, int, int]) -> tuple[int, int, Buckets]:
    """(requests, tokens, buckets) of a scope from (second, requests, tokens) buckets."""
    return (
        sum(b[1] for b in buckets),
        sum(b[2] for b in buckets),
        {b[0]: (b[1], b[2]) for b in buckets},
    )


def _limits(**changes: int | None) -> Limits:
    return Limits(**{**{f: getattr(LIMITS, f) for f in LIMITS.__dataclass_fields__}, **changes})


@pytest.mark.parametrize(
    ("limits", "tokens", "org", "key", "budget", "expected"),
    [
        (LIMITS, 100, EMPTY, None, BudgetState(), (None, 0)),
        # requests: 10 in the window, the oldest (941) leaves at 1001
        (
            LIMITS,
            100,
            _scope((941, 4, 0), (990, 6, 0)),
            None,
            BudgetState(),
            (Reason.ORG_REQUESTS, 1),
        ),
        (
            LIMITS,
            100,
            _scope((960, 4, 0), (990, 6, 0)),
            None,
            BudgetState(),
            (Reason.ORG_REQUESTS, 20),
        ),
        # tokens: 950 used, 100 more needs 50 freed: the bucket at 970 (30) is not enough
        (
            LIMITS,
            100,
            _scope((970, 1, 30), (980, 1, 920)),
            None,
            BudgetState(),
            (Reason.ORG_TOKENS, 40),
        ),
        # more tokens than the limit: counted up to the limit, so an empty window admits it…
        (LIMITS, 1001, EMPTY, None, BudgetState(), (None, 0)),
        # …and otherwise it waits for the window to empty, never forever
        (LIMITS, 5000, _scope((980, 1, 10)), None, BudgetState(), (Reason.ORG_TOKENS, 40)),
        # both org limits hit: the first reason, the longest wait
        (
            LIMITS,
            100,
            _scope((950, 9, 0), (995, 1, 950)),
            None,
            BudgetState(),
            (Reason.ORG_REQUESTS, 55),
        ),
        # the key's own limits
        (
            _limits(key_rpm=2),
            100,
            EMPTY,
            _scope((999, 2, 0)),
            BudgetState(),
            (Reason.KEY_REQUESTS, 59),
        ),
        (
            _limits(key_tpm=150),
            100,
            EMPTY,
            _scope((999, 1, 100)),
            BudgetState(),
            (Reason.KEY_TOKENS, 59),
        ),
        (_limits(key_tpm=150), 100, EMPTY, _scope((999, 1, 50)), BudgetState(), (None, 0)),
        # the org goes first even when the key is over too
        (
            _limits(key_rpm=1),
            100,
            _scope((999, 10, 0)),
            _scope((999, 1, 0)),
            BudgetState(),
            (Reason.ORG_REQUESTS, 59),
        ),
        # budget caps only once the rate limits pass, and without retry-after
        (
            _limits(budget_tokens=1000),
            100,
            EMPTY,
            None,
            BudgetState(950, 0, 0, 0),
            (Reason.BUDGET_TOKENS, 0),
        ),
        (
            _limits(budget_usd_micro=100),
            100,
            EMPTY,
            None,
            BudgetState(0, 50, 0, 45),
            (Reason.BUDGET_USD, 0),
        ),
        (
            _limits(budget_tokens=1000),
            100,
            _scope((999, 10, 0)),
            None,
            BudgetState(950, 0, 0, 0),
            (Reason.ORG_REQUESTS, 59),
        ),
    ],
)
def test_decide(
    limits: Limits,
    tokens: int,
    org: tuple[int, int, Buckets],
    key: tuple[int, int, Buckets] | None,
    budget: BudgetState,
    expected: tuple[Reason | None, int],
) -> None:
    assert decide(_admission(limits, tokens), 1000, NOW_MS, org, key, budget)[:2] == expected


def test_what_a_request_reserves_and_counts() -> None:
    # 100 prompt tokens costing 10, 900 output tokens at 1 micro-USD each; 500 tokens left.
    admission = Admission(
        "org",
        "key",
        _limits(org_tpm=300, budget_tokens=600),
        1000,
        910,
        "p",
        3600,
        1000.5,
        output_tokens=900,
        output_per_million=1_000_000,
    )

    reason, retry, held = decide(admission, 1000, NOW_MS, EMPTY, None, BudgetState(100, 0, 0, 0))

    assert (reason, retry) == (None, 0)
    assert held == Reservation(tokens=500, cost_micro=410, output_tokens=400, counted=300)


def test_result_of_an_admission() -> None:
    result = build_result(_admission(), [1, 0, 0, 1000, 3, 300, 1000, 0, 0, -1, 0, 100, 10, 100])
    assert result.admitted and result.reason is None and result.retry_after_s is None
    assert (result.limit_requests, result.remaining_requests, result.reset_requests) == (
        10,
        7,
        "59.5s",
    )
    assert (result.limit_tokens, result.remaining_tokens, result.reset_tokens) == (
        1000,
        700,
        "59.5s",
    )
    assert result.bucket == 1000


def test_result_reports_the_tighter_scope() -> None:
    limits = _limits(key_rpm=5, key_tpm=2000)
    result = build_result(
        _admission(limits), [1, 0, 0, 1000, 3, 300, 990, 4, 400, 1000, 0, 100, 10, 100]
    )
    assert (result.limit_requests, result.remaining_requests, result.reset_requests) == (
        5,
        1,
        "59.5s",
    )
    assert (result.limit_tokens, result.remaining_tokens, result.reset_tokens) == (
        1000,
        700,
        "49.5s",
    )


def test_result_of_a_rejection() -> None:
    result = build_result(_admission(), [0, 1, 12, 1000, 10, 300, 999, 0, 0, -1, 0, 0, 0, 0])
    assert not result.admitted
    assert result.reason is Reason.ORG_REQUESTS and result.retry_after_s == 12
    assert result.remaining_requests == 0 and result.reset_requests == "58.5s"


def test_budget_rejections_have_no_retry_after() -> None:
    result = build_result(_admission(), [0, 5, 0, 1000, 0, 0, -1, 0, 0, -1, 0, 0, 0, 0])
    assert result.reason is Reason.BUDGET_TOKENS and result.retry_after_s is None
    assert result.reset_requests == "0s" and result.remaining_tokens == 1000


def test_a_lagging_clock_reports_from_the_second_counted_in() -> None:
    result = build_result(_admission(), [1, 0, 0, 1002, 1, 100, 1002, 0, 0, -1, 0, 100, 10, 100])
    assert result.bucket == 1002 and result.reset_requests == "1m0s"
