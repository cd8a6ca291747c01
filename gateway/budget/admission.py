"""Admission: where the rate limit (stage 2) and the budget (stage 3) meet, as value types.

One atomic step admits a request: both rate-limit scopes are checked and the budget is
reserved together, or nothing is consumed at all. One more step settles it to the actual.
The decision itself is `gateway.budget.decision`; the stores (`MemoryAdmissionStore`,
`RedisAdmissionStore`) hold the state and apply it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gateway.budget.period import budget_period_at, period_ttl_s
from gateway.ratelimit.headers import rate_limit_headers
from gateway.tenancy.context import TenantContext, per_tenant


class Reason(StrEnum):
    """Why a request was rejected; the first limit it hit, in this order."""

    ORG_REQUESTS = "org_requests"
    ORG_TOKENS = "org_tokens"
    KEY_REQUESTS = "key_requests"
    KEY_TOKENS = "key_tokens"
    BUDGET_TOKENS = "budget_tokens"
    BUDGET_USD = "budget_usd"
    # Not a limit: the budget's spend this period is not known yet (Redis lost it, or the
    # period just began); nothing is admitted until it is seeded (`gateway.budget.seeding`).
    SPEND_UNKNOWN = "spend_unknown"

    @property
    def is_budget(self) -> bool:
        """A budget cap (quota exhausted) rather than a rate limit (retry shortly)."""
        return self in (Reason.BUDGET_TOKENS, Reason.BUDGET_USD)


REASON_CODES: tuple[Reason | None, ...] = (None, *Reason)
"""Reasons by the integer code the Lua script returns (0: admitted)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers an admission enforces; None means unlimited (or no per-key limit)."""

    org_rpm: int
    org_tpm: int
    key_rpm: int | None
    key_tpm: int | None
    budget_tokens: int | None
    budget_usd_micro: int | None

    @property
    def keyed(self) -> bool:
        """Whether the API key has a limit of its own, so its scope is counted."""
        return self.key_rpm is not None or self.key_tpm is not None


@dataclass(frozen=True, slots=True)
class Admission:
    """One request asking to be admitted.

    `tokens` is the worst case (prompt + max output) and `cost_micro` its price; `now` is a
    POSIX timestamp from the caller's clock; `period_id`/`period_ttl_s` name the budget period.
    `output_tokens` of `tokens` are output, which the budget may lower to what fits (then
    the gateway asks the provider for no more); their share of `cost_micro` is
    `output_cost_micro(output_tokens, output_per_million)`.
    """

    org_id: str
    key_id: str
    limits: Limits
    tokens: int
    cost_micro: int
    period_id: str
    period_ttl_s: int
    now: float
    output_tokens: int = 0
    output_per_million: int = 0


@dataclass(frozen=True, slots=True)
class Reservation:
    """What an admitted request holds: budget tokens and micro-USD, the output tokens they
    include, and the tokens counted against tokens per minute (never over the limit)."""

    tokens: int
    cost_micro: int
    output_tokens: int
    counted: int


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    """The decision, with what OpenAI's `x-ratelimit-*` headers need (tighter scope's values).

    `bucket` is the second the reservation was counted in; settle corrects that bucket and
    `reserved`. `retry_after_s` is set for rate-limit rejections only: a budget does not
    free up soon.
    """

    admitted: bool
    reason: Reason | None
    retry_after_s: int | None
    limit_requests: int
    remaining_requests: int
    reset_requests: str
    limit_tokens: int
    remaining_tokens: int
    reset_tokens: str
    bucket: int
    reserved: Reservation

    @property
    def headers(self) -> dict[str, str]:
        """OpenAI's rate-limit headers for the response (and `retry-after` when rejected)."""
        return rate_limit_headers(self)


@dataclass(frozen=True, slots=True)
class PromptSample:
    """What a provider counted for a prompt RouterAI estimated: it teaches the model's
    prompt factor (`gateway.budget.factors`)."""

    model_key: str
    estimated: int
    reported: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """An admitted request's actual usage, to correct its reservation with."""

    admission: Admission
    result: AdmissionResult
    actual_tokens: int
    actual_cost_micro: int
    prompt: PromptSample | None = None


class AdmissionStore(Protocol):
    """Admits and settles requests atomically, whatever the concurrency across processes."""

    async def admit(self, admission: Admission) -> AdmissionResult:
        """Check every rate limit and reserve the budget; on rejection consume nothing."""
        ...

    async def settle(
        self, settlement: Settlement, usage_record: Mapping[str, str | int] | None
    ) -> None:
        """Correct tokens/min and the budget to the actual; append `usage_record` if given.

        Settling a rejected admission only appends the record.
        """
        ...

    async def spend(self, org_id: str, period_id: str) -> tuple[int, int]:
        """(tokens, usd_micro) settled in the period; outstanding reservations excluded."""
        ...

    async def seed_spend(
        self, org_id: str, period_id: str, tokens: int, usd_micro: int, ttl_s: int
    ) -> None:
        """Raise the period's settled spend to at least these values (after losing Redis)."""
        ...

    async def prompt_factors(self) -> dict[str, float]:
        """Every prompt factor learned so far, by `provider/model`."""
        ...


def admission_for(
    org_id: str,
    key_id: str,
    limits: Limits,
    *,
    tokens: int,
    cost_micro: int,
    now: float,
    budget_reset_day: int,
    output_tokens: int = 0,
    output_per_million: int = 0,
) -> Admission:
    """An `Admission` with its budget period worked out from `now` and the reset day."""
    period = budget_period_at(now, budget_reset_day)
    return Admission(
        org_id,
        key_id,
        limits,
        tokens,
        cost_micro,
        period.id,
        period_ttl_s(period, now),
        now,
        output_tokens,
        output_per_million,
    )


@per_tenant
def limits_for(tenant: TenantContext) -> Limits:
    """The limits a request of `tenant` is admitted under (its plan's, or its own caps)."""
    return Limits(
        org_rpm=tenant.requests_per_minute,
        org_tpm=tenant.tokens_per_minute,
        key_rpm=tenant.key_rpm,
        key_tpm=tenant.key_tpm,
        budget_tokens=tenant.token_budget,
        budget_usd_micro=tenant.budget_usd_micro,
    )
