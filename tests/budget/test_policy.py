"""Budget policy: does a worst-case reservation fit under the caps?"""

from __future__ import annotations

import pytest

from gateway.budget.admission import Reason
from gateway.budget.policy import BudgetState, budget_rejection, reservation_slot


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
def test_budget_rejection(
    state: BudgetState,
    tokens: int,
    cost: int,
    cap_tokens: int | None,
    cap_usd: int | None,
    expected: Reason | None,
) -> None:
    assert budget_rejection(state, tokens, cost, cap_tokens, cap_usd) is expected


@pytest.mark.parametrize(
    ("second", "slot"), [(0, 0), (59, 0), (60, 1), (1_800_000_123, 30_000_002)]
)
def test_reservation_slot(second: int, slot: int) -> None:
    assert reservation_slot(second) == slot
