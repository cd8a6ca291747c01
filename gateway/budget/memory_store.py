"""`MemoryAdmissionStore`: the admission store in process, for unit tests and the parity suite.

It holds the same state as the Redis store (per-second buckets with running sums per scope,
per-minute reservation slots per budget period) and runs the same pure decision, so the parity
tests can hold the Lua scripts to it. Each call runs without awaiting, hence atomically on
its event loop; it is not shared between processes.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.budget.admission import (
    REASON_CODES,
    Admission,
    AdmissionResult,
    Reason,
    Settlement,
)
from gateway.budget.decision import build_result, decide, to_ms
from gateway.budget.factors import next_factor
from gateway.budget.policy import (
    RESERVATION_HOLD_SLOTS,
    RESERVATION_SLOT_S,
    BudgetState,
    reservation_slot,
)
from gateway.ratelimit.window import WINDOW_S, clamp_second, expired_slots


class _Window:
    """Two counters (a, b) in slots, with running sums: what one Redis hash holds.

    A rate-limit scope counts (requests, tokens) per second; a budget period's reservations
    count (tokens, micro-USD) per minute.
    """

    __slots__ = ("buckets", "newest_used", "seen", "sum_a", "sum_b")

    def __init__(self) -> None:
        self.buckets: dict[int, list[int]] = {}
        self.sum_a = 0
        self.sum_b = 0
        self.seen: int | None = None
        self.newest_used: int | None = None

    def advance(self, slot: int, width: int) -> None:
        for expired in expired_slots(self.seen, slot, width):
            counts = self.buckets.pop(expired, None)
            if counts is not None:
                self.sum_a -= counts[0]
                self.sum_b -= counts[1]
        if self.seen is None or slot > self.seen:
            self.seen = slot

    def add(self, slot: int, a: int, b: int) -> None:
        counts = self.buckets.setdefault(slot, [0, 0])
        counts[0] += a
        counts[1] += b
        self.sum_a += a
        self.sum_b += b
        self.newest_used = slot

    def correct(self, slot: int, a: int, b: int) -> None:
        """Add to a bucket that is still held; one that already expired stays gone."""
        counts = self.buckets.get(slot)
        if counts is not None:
            counts[0] += a
            counts[1] += b
            self.sum_a += a
            self.sum_b += b

    def view(self) -> tuple[int, int, dict[int, list[int]]]:
        return self.sum_a, self.sum_b, self.buckets


class _Budget:
    __slots__ = ("known", "reservations", "spent_tokens", "spent_usd_micro")

    def __init__(self) -> None:
        self.spent_tokens = 0
        self.spent_usd_micro = 0
        self.reservations = _Window()  # tokens, usd_micro per reservation slot
        self.known = False  # seeded: the period's spend is known

    def state(self) -> BudgetState:
        held = self.reservations
        return BudgetState(self.spent_tokens, self.spent_usd_micro, held.sum_a, held.sum_b)


class MemoryAdmissionStore:
    """The `AdmissionStore` contract in one process; `usage` holds the appended records."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, str | None], _Window] = {}
        self._budgets: dict[tuple[str, str], _Budget] = {}
        self._factors: dict[str, float] = {}
        self.usage: list[dict[str, str]] = []

    def _scope(self, org_id: str, key_id: str | None) -> _Window:
        return self._scopes.setdefault((org_id, key_id), _Window())

    def _budget(self, org_id: str, period_id: str) -> _Budget:
        return self._budgets.setdefault((org_id, period_id), _Budget())

    async def admit(self, admission: Admission) -> AdmissionResult:
        org = self._scope(admission.org_id, None)
        key = self._scope(admission.org_id, admission.key_id) if admission.limits.keyed else None
        budget = self._budget(admission.org_id, admission.period_id)
        held = budget.reservations
        limits = admission.limits
        capped = limits.budget_tokens is not None or limits.budget_usd_micro is not None
        if capped and not budget.known:
            second = to_ms(admission.now) // 1000
            unknown = REASON_CODES.index(Reason.SPEND_UNKNOWN)
            reply = (0, unknown, 0, second, 0, 0, -1, 0, 0, -1, 0, 0, 0, 0)
            return build_result(admission, reply)
        second, now_ms = clamp_second(
            to_ms(admission.now),
            org.seen,
            key.seen if key else None,
            None if held.seen is None else held.seen * RESERVATION_SLOT_S,
        )
        slot = reservation_slot(second)
        org.advance(second, WINDOW_S)
        if key is not None:
            key.advance(second, WINDOW_S)
        held.advance(slot, RESERVATION_HOLD_SLOTS)
        reason, retry, reserved = decide(
            admission, second, now_ms, org.view(), key.view() if key else None, budget.state()
        )
        if reason is None:
            org.add(second, 1, reserved.counted)
            if key is not None:
                key.add(second, 1, reserved.counted)
            held.add(slot, reserved.tokens, reserved.cost_micro)
        reply = (
            int(reason is None),
            REASON_CODES.index(reason),
            retry,
            second,
            org.sum_a,
            org.sum_b,
            _or_minus_one(org.newest_used),
            *((key.sum_a, key.sum_b, _or_minus_one(key.newest_used)) if key else (0, 0, -1)),
            reserved.output_tokens,
            reserved.tokens,
            reserved.cost_micro,
            reserved.counted,
        )
        return build_result(admission, reply)

    async def settle(
        self, settlement: Settlement, usage_record: Mapping[str, str | int] | None
    ) -> None:
        admission, result = settlement.admission, settlement.result
        if result.admitted:
            held = result.reserved
            delta = settlement.actual_tokens - held.counted
            self._scope(admission.org_id, None).correct(result.bucket, 0, delta)
            if admission.limits.keyed:
                self._scope(admission.org_id, admission.key_id).correct(result.bucket, 0, delta)
            budget = self._budget(admission.org_id, admission.period_id)
            budget.reservations.correct(
                reservation_slot(result.bucket), -held.tokens, -held.cost_micro
            )
            budget.spent_tokens += settlement.actual_tokens
            budget.spent_usd_micro += settlement.actual_cost_micro
            sample = settlement.prompt
            if sample is not None and sample.estimated > 0 and sample.reported > 0:
                current = self._factors.get(sample.model_key)
                self._factors[sample.model_key] = next_factor(
                    current, sample.estimated, sample.reported
                )
        if usage_record is not None:
            self.usage.append({name: str(value) for name, value in usage_record.items()})

    async def spend(self, org_id: str, period_id: str) -> tuple[int, int]:
        budget = self._budgets.get((org_id, period_id))
        return (budget.spent_tokens, budget.spent_usd_micro) if budget else (0, 0)

    async def seed_spend(
        self, org_id: str, period_id: str, tokens: int, usd_micro: int, ttl_s: int
    ) -> None:
        budget = self._budget(org_id, period_id)
        budget.spent_tokens = max(budget.spent_tokens, tokens)
        budget.spent_usd_micro = max(budget.spent_usd_micro, usd_micro)
        budget.known = True

    async def prompt_factors(self) -> dict[str, float]:
        return dict(self._factors)


def _or_minus_one(second: int | None) -> int:
    return -1 if second is None else second
