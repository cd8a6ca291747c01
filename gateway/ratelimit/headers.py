"""OpenAI's `x-ratelimit-*` headers: which scope they describe and how their values read.

OpenAI formats reset times like Go durations: "20ms", "1s", "1.5s", "6m0s", "1h0m0s".
"""

from __future__ import annotations

from typing import Protocol

from gateway.ratelimit.window import remaining


class RateLimitState(Protocol):
    """What the headers need; `gateway.budget.admission.AdmissionResult` provides it."""

    @property
    def limit_requests(self) -> int: ...
    @property
    def remaining_requests(self) -> int: ...
    @property
    def reset_requests(self) -> str: ...
    @property
    def limit_tokens(self) -> int: ...
    @property
    def remaining_tokens(self) -> int: ...
    @property
    def reset_tokens(self) -> str: ...
    @property
    def retry_after_s(self) -> int | None: ...


def format_reset(ms: int) -> str:
    """A duration in milliseconds as OpenAI writes it: "0s", "20ms", "1.5s", "6m0s", "1h0m0s"."""
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    text = f"{seconds}.{millis:03d}".rstrip("0") + "s" if millis else f"{seconds}s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    if minutes:
        return f"{minutes}m{text}"
    return text


def tighter(
    org_limit: int,
    org_used: int,
    org_reset_ms: int,
    key_limit: int | None,
    key_used: int,
    key_reset_ms: int,
) -> tuple[int, int, int]:
    """(limit, remaining, reset ms) of the scope with less left; the org's on a tie.

    A key without a limit of its own (`key_limit` None) never is the tighter one.
    """
    org_left = remaining(org_limit, org_used)
    if key_limit is None:
        return org_limit, org_left, org_reset_ms
    key_left = remaining(key_limit, key_used)
    if key_left < org_left or (key_left == org_left and key_limit < org_limit):
        return key_limit, key_left, key_reset_ms
    return org_limit, org_left, org_reset_ms


def rate_limit_headers(state: RateLimitState) -> dict[str, str]:
    """The `x-ratelimit-*` headers of a response, plus `retry-after` on a rejection."""
    headers = {
        "x-ratelimit-limit-requests": str(state.limit_requests),
        "x-ratelimit-remaining-requests": str(state.remaining_requests),
        "x-ratelimit-reset-requests": state.reset_requests,
        "x-ratelimit-limit-tokens": str(state.limit_tokens),
        "x-ratelimit-remaining-tokens": str(state.remaining_tokens),
        "x-ratelimit-reset-tokens": state.reset_tokens,
    }
    if state.retry_after_s is not None:
        headers["retry-after"] = str(state.retry_after_s)
    return headers
