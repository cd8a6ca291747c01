"""The admission decision, pure: which limit a request hits first, and the result it gets.

Both stores run this logic: `MemoryAdmissionStore` calls `decide` on its own state, and the
admit script in `gateway.budget.scripts` mirrors it in Lua. Both answer with the same flat
reply, which `build_result` turns into an `AdmissionResult`:

    [admitted (0/1), reason code (`REASON_CODES`), retry-after s (0: none), second,
     org requests, org tokens, org newest used second (-1: none),
     key requests, key tokens, key newest used second (-1: none)]

Usage figures are after the request was counted when it was admitted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from gateway.budget.admission import REASON_CODES, Admission, AdmissionResult, Limits, Reason
from gateway.budget.policy import BudgetState, budget_rejection
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


def decide(
    admission: Admission,
    second: int,
    now_ms: int,
    org: tuple[int, int, Buckets],
    key: tuple[int, int, Buckets] | None,
    budget: BudgetState,
) -> tuple[Reason | None, int]:
    """The first limit `admission` hits (rate limits, then budget caps) and its retry-after."""
    limits = admission.limits
    reason, retry = rate_limit_rejection(limits, admission.tokens, second, now_ms, org, key)
    if reason is not None:
        return reason, retry
    cap = budget_rejection(
        budget,
        admission.tokens,
        admission.cost_micro,
        limits.budget_tokens,
        limits.budget_usd_micro,
    )
    return cap, 0


def build_result(admission: Admission, reply: Sequence[int]) -> AdmissionResult:
    """The `AdmissionResult` of a store's flat reply (layout in the module docstring)."""
    admitted, code, retry, second, org_r, org_t, org_n, key_r, key_t, key_n = reply
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
    )
