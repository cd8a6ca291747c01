"""Budget policy: does a worst-case reservation fit under the caps, and how much of its
output does?"""

from __future__ import annotations

import pytest

from gateway.budget.admission import Reason
from gateway.budget.policy import (
    BudgetState,
    output_cost_micro,
    output_that_fits,
    reservation_slot,
)


@pytest.mark.parametrize(
    ("state", "tokens", "cost", "cap_tokens", "cap_usd", "expected"),
    [
        (BudgetState(), 100, 10, None, None, None),  # unlimited
        (BudgetState(10**12, 10**12, 0, 0), 100, 10, None, None, None),
        (BudgetState(), 1000, 10, 1000, None, None),  # exactly the cap fits
        (BudgetState(), 1001, 10, 1000, None, Reason.BUDGET_TOKENS),
        (BudgetState(900, 0, 0, 0), 100, 10, 1000, None, None),
        (BudgetState(900, 0, 1, 0), 100, 10, 1000, None, Reason.BUDGET_TOKENS),  # reservations
        (BudgetState(0, 0, 500, 0), 501, 10, 1000, None, Reason.BUDGET_TOKENS),
        (BudgetState(0, 90, 0, 0), 1, 10, None, 100, None),
        (BudgetState(0, 90, 0, 1), 1, 10, None, 100, Reason.BUDGET_USD),
        (BudgetState(0, 0, 0, 0), 1, 101, None, 100, Reason.BUDGET_USD),
        (BudgetState(1000, 100, 0, 0), 1, 1, 1000, 100, Reason.BUDGET_TOKENS),  # tokens first
        (BudgetState(0, 0, 0, 0), 0, 0, 0, 0, None),  # a zero cap admits a free request
    ],
)
def test_a_worst_case_without_output_fits_whole_or_not_at_all(
    state: BudgetState,
    tokens: int,
    cost: int,
    cap_tokens: int | None,
    cap_usd: int | None,
    expected: Reason | None,
) -> None:
    assert output_that_fits(state, tokens, cost, 0, 0, cap_tokens, cap_usd) == (expected, 0)


PRICE = 600_000  # $0.60 per million output tokens: 0.6 micro-USD a token


@pytest.mark.parametrize(
    ("state", "cap_tokens", "cap_usd", "expected"),
    [
        # A prompt of 100 tokens costing 10, and 1,000 output tokens costing 600.
        (BudgetState(), None, None, (None, 1000)),  # all of it fits
        (BudgetState(), 1100, None, (None, 1000)),  # exactly
        (BudgetState(), 600, None, (None, 500)),  # lowered to what the tokens leave
        (BudgetState(400, 0, 50, 0), 600, None, (None, 50)),  # spent and reserved count
        (BudgetState(), 101, None, (None, 1)),  # one output token is enough
        (BudgetState(), 100, None, (Reason.BUDGET_TOKENS, 0)),  # not even one
        (BudgetState(), None, 610, (None, 1000)),
        (BudgetState(), None, 310, (None, 500)),  # 300 micro-USD buy 500 tokens at 0.6
        (BudgetState(0, 100, 0, 50), None, 310, (None, 250)),
        (BudgetState(), None, 10, (Reason.BUDGET_USD, 0)),  # the prompt but no output
        (BudgetState(), None, 9, (Reason.BUDGET_USD, 0)),  # not even the prompt
        (BudgetState(), 300, 310, (None, 200)),  # the tighter cap wins
    ],
)
def test_output_is_lowered_to_what_the_budget_leaves(
    state: BudgetState,
    cap_tokens: int | None,
    cap_usd: int | None,
    expected: tuple[Reason | None, int],
) -> None:
    tokens, cost = 100 + 1000, 10 + output_cost_micro(1000, PRICE)
    fits = output_that_fits(state, tokens, cost, 1000, PRICE, cap_tokens, cap_usd)
    assert fits == expected
    reason, output = fits
    if reason is None and cap_usd is not None:  # what it reserves is within the cap
        reserved = state.spent_usd_micro + state.reserved_usd_micro + 10
        assert reserved + output_cost_micro(output, PRICE) <= cap_usd


def test_output_cost_is_rounded_up() -> None:
    assert output_cost_micro(1, 600_000) == 1  # 0.6 micro-USD
    assert output_cost_micro(5, 600_000) == 3
    assert output_cost_micro(0, 600_000) == 0


@pytest.mark.parametrize(
    ("second", "slot"), [(0, 0), (59, 0), (60, 1), (1_800_000_123, 30_000_002)]
)
def test_reservation_slot(second: int, slot: int) -> None:
    assert reservation_slot(second) == slot
