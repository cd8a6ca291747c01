"""The admission decision, pure: which limit a request hits first, and the result it gets.

Both stores run this logic: `MemoryAdmissionStore` calls `decide` on its own state, and the
admit script in `gateway.budget.scripts` mirrors it in Lua. Both answer with the same flat
reply, which `build_result` turns into an `AdmissionResult`:

    [admitted (0/1), reason code (`REASON_CODES`), retry-after s (0: none), second,
     org requests, org tokens, org newest used second (-1: none),
     key requests, key tokens, key newest used second (-1: none),
     output tokens admitted, tokens reserved, micro-USD reserved, tokens counted]

Usage figures are after the request was counted when it was admitted. What a request
reserves is its worst case with the output lowered to fit the budget (`Reservation`); what
it counts against tokens per minute is that, but never more than the limit: a request
larger than a limit waits for an empty window rather than forever.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from gateway.budget.admission import (
    REASON_CODES,
    Admission,
    AdmissionResult,
    Limits,
    Reason,
    Reservation,
)
from gateway.budget.policy import BudgetState, output_cost_micro, output_that_fits
from gateway.ratelimit.headers import format_reset, tighter
from gateway.ratelimit.window import WINDOW_S, fits, reset_ms, retry_after_s

REQUESTS, TOKENS = 0, 1
"""Indexes of a bucket's (requests, tokens) pair."""

Buckets = Mapping[int, Sequence[int]]
"""A scope's live buckets: second -> (requests, tokens)."""


def to_ms(now: float) -> int:
    """A POSIX timestamp in whole milliseconds, the unit the stores compute in."""
    return int(now * 1000)


def _in_window(buckets: Buckets, field: int, second: int) -> Iterator[tuple[int, int]]:
    for bucket in range(second - WINDOW_S + 1, second + 1):
        counts = buckets.get(bucket)
        if counts is not None:
            yield bucket, counts[field]


def rate_limit_rejection(
    limits: Limits,
    tokens: int,
    second: int,
    now_ms: int,
    org: tuple[int, int, Buckets],
    key: tuple[int, int, Buckets] | None,
) -> tuple[Reason | None, int]:
    """(first rate limit hit, seconds until every limit hit has room) or (None, 0).

    `org` and `key` are (requests, tokens, buckets) of each scope's current window.
    """
    checks: list[tuple[Reason, int, Buckets, int, int, int | None]] = [
        (Reason.ORG_REQUESTS, org[0], org[2], REQUESTS, 1, limits.org_rpm),
        (Reason.ORG_TOKENS, org[1], org[2], TOKENS, tokens, limits.org_tpm),
    ]
    if key is not None:
        checks += [
            (Reason.KEY_REQUESTS, key[0], key[2], REQUESTS, 1, limits.key_rpm),
            (Reason.KEY_TOKENS, key[1], key[2], TOKENS, tokens, limits.key_tpm),
        ]
    reason: Reason | None = None
    retry = 0
    for check, used, buckets, field, amount, limit in checks:
        if limit is None or fits(used, amount, limit):
            continue
        reason = reason or check
        wait = WINDOW_S
        if amount <= limit:
            wait = retry_after_s(_in_window(buckets, field, second), used + amount - limit, now_ms)
        retry = max(retry, wait)
    return reason, retry


def reservation(admission: Admission, output_tokens: int) -> Reservation:
    """`admission`'s worst case with its output lowered to `output_tokens`."""
    lowered = admission.output_tokens - output_tokens
    tokens = admission.tokens - lowered
    price = admission.output_per_million
    cost = (
        admission.cost_micro
        - output_cost_micro(admission.output_tokens, price)
        + output_cost_micro(output_tokens, price)
    )
    return Reservation(tokens, cost, output_tokens, counted_tokens(admission.limits, tokens))


def counted_tokens(limits: Limits, tokens: int) -> int:
    """Tokens counted against tokens per minute: at most the tightest limit."""
    counted = min(tokens, limits.org_tpm)
    if limits.key_tpm is not None:
        counted = min(counted, limits.key_tpm)
    return counted


def decide(
    admission: Admission,
    second: int,
    now_ms: int,
    org: tuple[int, int, Buckets],
    key: tuple[int, int, Buckets] | None,
    budget: BudgetState,
) -> tuple[Reason | None, int, Reservation]:
    """The first limit `admission` hits (rate limits, then budget caps), its retry-after,
    and what it reserves if admitted."""
    limits = admission.limits
    cap, output = output_that_fits(
        budget,
        admission.tokens,
        admission.cost_micro,
        admission.output_tokens,
        admission.output_per_million,
        limits.budget_tokens,
        limits.budget_usd_micro,
    )
    held = reservation(admission, output if cap is None else admission.output_tokens)
    reason, retry = rate_limit_rejection(limits, held.counted, second, now_ms, org, key)
    if reason is not None:
        return reason, retry, held
    return cap, 0, held


def build_result(admission: Admission, reply: Sequence[int]) -> AdmissionResult:
    """The `AdmissionResult` of a store's flat reply (layout in the module docstring)."""
    admitted, code, retry, second, org_r, org_t, org_n, key_r, key_t, key_n = reply[:10]
    output, tokens, cost, counted = reply[10:]
    limits = admission.limits
    now_ms = max(to_ms(admission.now), second * 1000)
    org_newest = org_n if org_n >= 0 else None
    key_newest = key_n if key_n >= 0 else None
    limit_r, left_r, reset_r = tighter(
        limits.org_rpm,
        org_r,
        reset_ms(org_r, org_newest, now_ms),
        limits.key_rpm,
        key_r,
        reset_ms(key_r, key_newest, now_ms),
    )
    limit_t, left_t, reset_t = tighter(
        limits.org_tpm,
        org_t,
        reset_ms(org_t, org_newest, now_ms),
        limits.key_tpm,
        key_t,
        reset_ms(key_t, key_newest, now_ms),
    )
    reason = REASON_CODES[code]
    retry_after = retry if reason is not None and not reason.is_budget else None
    return AdmissionResult(
        bool(admitted),
        reason,
        retry_after,
        limit_r,
        left_r,
        format_reset(reset_r),
        limit_t,
        left_t,
        format_reset(reset_t),
        second,
        Reservation(tokens, cost, output, counted),
    )
