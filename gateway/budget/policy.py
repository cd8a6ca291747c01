"""Budget policy: whether a worst-case reservation fits under the period's caps. Pure.

A request is admitted only if spent + outstanding reservations + its own worst case stays
within every cap that is set, so settled spend can never pass a cap while each request's
actual usage stays within what it reserved. When the worst case does not fit, its output
part is lowered until it does (`output_that_fits`): the gateway then sends that lower
`max_tokens` upstream, so the reservation still bounds what the provider can produce. Only
a request whose prompt (and one output token) does not fit is refused.

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


def output_cost_micro(output_tokens: int, output_per_million: int) -> int:
    """What reserving `output_tokens` costs at `output_per_million` (micro-USD per million
    tokens), rounded up: a reservation never costs less than the tokens it holds."""
    return -(-output_tokens * output_per_million // 1_000_000)


def output_that_fits(
    state: BudgetState,
    tokens: int,
    cost_micro: int,
    output_tokens: int,
    output_per_million: int,
    cap_tokens: int | None,
    cap_usd_micro: int | None,
) -> tuple[Reason | None, int]:
    """(cap passed, 0) when not even the prompt fits, else (None, the most output tokens of
    the `output_tokens` asked for whose reservation, with the prompt's, fits every cap).

    `tokens` and `cost_micro` are the whole worst case, `output_tokens` of them output priced
    at `output_per_million`: its prompt part is what remains without them. A request with
    output to produce needs room for at least one output token.
    """
    prompt_tokens = tokens - output_tokens
    prompt_cost = cost_micro - output_cost_micro(output_tokens, output_per_million)
    least = 1 if output_tokens > 0 else 0
    fit = output_tokens
    if cap_tokens is not None:
        fit = min(fit, cap_tokens - state.spent_tokens - state.reserved_tokens - prompt_tokens)
        if fit < least:
            return Reason.BUDGET_TOKENS, 0
    if cap_usd_micro is not None:
        left = cap_usd_micro - state.spent_usd_micro - state.reserved_usd_micro - prompt_cost
        if output_per_million > 0:
            fit = min(fit, left * 1_000_000 // output_per_million)
        if left < 0 or fit < least:
            return Reason.BUDGET_USD, 0
    return None, fit
