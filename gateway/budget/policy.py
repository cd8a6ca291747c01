"""Budget policy: whether a worst-case reservation fits under the period's caps. Pure.

A request is admitted only if spent + outstanding reservations + its own worst case stays
within every cap that is set, so settled spend can never pass a cap while each request's
actual usage stays within what it reserved.

Outstanding reservations are counted in one-minute slots (the same window scheme as the rate
limits, `gateway.ratelimit.window`): a reservation not settled within `RESERVATION_HOLD_SLOTS`
minutes is presumed leaked by a crashed process and stops holding budget back.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.budget.admission import Reason

RESERVATION_SLOT_S = 60
"""Seconds per reservation slot."""

RESERVATION_HOLD_SLOTS = 30
"""Slots a reservation holds budget back before it is presumed leaked (30 minutes)."""


@dataclass(frozen=True, slots=True)
class BudgetState:
    """One period's counters: settled spend and outstanding reservations."""

    spent_tokens: int = 0
    spent_usd_micro: int = 0
    reserved_tokens: int = 0
    reserved_usd_micro: int = 0


def reservation_slot(second: int) -> int:
    """The reservation slot of a request counted in `second`."""
    return second // RESERVATION_SLOT_S


def budget_rejection(
    state: BudgetState,
    tokens: int,
    cost_micro: int,
    cap_tokens: int | None,
    cap_usd_micro: int | None,
) -> Reason | None:
    """The cap that reserving (`tokens`, `cost_micro`) would pass, or None when it fits."""
    if cap_tokens is not None and (
        state.spent_tokens + state.reserved_tokens + tokens > cap_tokens
    ):
        return Reason.BUDGET_TOKENS
    if cap_usd_micro is not None and (
        state.spent_usd_micro + state.reserved_usd_micro + cost_micro > cap_usd_micro
    ):
        return Reason.BUDGET_USD
    return None
