"""The admission contract, case by case, against every store (in memory and on Redis).

Every case runs on both stores with the same expectations; `test_stores_agree_on_a_random_run`
then replays one long random sequence on both and requires identical answers.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import redis.asyncio as aioredis

from gateway.budget import Admission, AdmissionResult, Limits, Reason, Settlement, admission_for
from gateway.budget.admission import PromptSample
from gateway.budget.factors import INITIAL, next_factor
from gateway.budget.policy import output_cost_micro
from tests.budget.conftest import StoreUnderTest, memory_store, redis_store

ORG, KEY, PERIOD = "acme", "key-1", "2026-11-05"
T0 = 1_800_000_000.0  # on a second (and minute) boundary
LIMITS = Limits(
    org_rpm=100,
    org_tpm=100_000,
    key_rpm=None,
    key_tpm=None,
    budget_tokens=None,
    budget_usd_micro=None,
)


def _adm(
    now: float,
    *,
    tokens: int = 100,
    cost: int = 10,
    key: str = KEY,
    org: str = ORG,
    period: str = PERIOD,
    **limits: int | None,
) -> Admission:
    limited = replace(LIMITS, **limits)  # type: ignore[arg-type]
    return Admission(org, key, limited, tokens, cost, period, 86_400, now)


async def _settle(
    store: StoreUnderTest,
    admission: Admission,
    result: AdmissionResult,
    tokens: int,
    cost: int = 0,
    record: dict[str, str | int] | None = None,
) -> None:
    await store.store.settle(Settlement(admission, result, tokens, cost), record)


async def test_admits_up_to_the_request_limit_then_rejects(under_test: StoreUnderTest) -> None:
    store = under_test.store
    results = [await store.admit(_adm(T0 + 0.5, org_rpm=5)) for _ in range(6)]
    assert [r.admitted for r in results] == [True] * 5 + [False]
    assert [r.remaining_requests for r in results] == [4, 3, 2, 1, 0, 0]
    rejected = results[-1]
    assert rejected.reason is Reason.ORG_REQUESTS
    assert rejected.retry_after_s == 60  # the bucket of T0 leaves the window at T0 + 60
    assert (rejected.limit_requests, rejected.reset_requests) == (5, "59.5s")
    assert all(r.bucket == int(T0) for r in results)


async def test_the_window_slides_at_one_second_granularity(under_test: StoreUnderTest) -> None:
    store = under_test.store
    assert (await store.admit(_adm(T0 + 0.9, org_rpm=2))).admitted
    assert (await store.admit(_adm(T0 + 30, org_rpm=2))).admitted
    late = await store.admit(_adm(T0 + 59.99, org_rpm=2))
    assert (late.admitted, late.retry_after_s) == (False, 1)
    assert (await store.admit(_adm(T0 + 60, org_rpm=2))).admitted  # T0's bucket has left
    again = await store.admit(_adm(T0 + 60.5, org_rpm=2))
    assert (again.admitted, again.retry_after_s) == (False, 30)  # T0 + 30 leaves at T0 + 90


async def test_tokens_are_reserved_then_corrected_at_settle(under_test: StoreUnderTest) -> None:
    store = under_test.store
    first = _adm(T0, tokens=600, org_tpm=1000)
    admitted = await store.admit(first)
    assert (admitted.limit_tokens, admitted.remaining_tokens) == (1000, 400)
    rejected = await store.admit(_adm(T0 + 1, tokens=600, org_tpm=1000))
    assert (rejected.admitted, rejected.reason) == (False, Reason.ORG_TOKENS)
    assert rejected.retry_after_s == 59
    await _settle(under_test, first, admitted, 150)
    after = await store.admit(_adm(T0 + 2, tokens=600, org_tpm=1000))
    assert (after.admitted, after.remaining_tokens) == (True, 250)


async def test_settle_corrects_the_bucket_it_reserved_in(under_test: StoreUnderTest) -> None:
    store = under_test.store
    first = _adm(T0, tokens=600, org_tpm=1000)
    result = await store.admit(first)
    assert (await store.admit(_adm(T0 + 30, tokens=300, org_tpm=1000))).admitted
    await _settle(under_test, first, result, 100)  # settled later, corrected in T0's bucket
    assert (await store.admit(_adm(T0 + 40, tokens=600, org_tpm=1000))).admitted
    # T0's bucket has left: 300 + 600 remain in the window
    later = await store.admit(_adm(T0 + 60, tokens=100, org_tpm=1000))
    assert (later.admitted, later.remaining_tokens) == (True, 0)


async def test_a_settle_after_its_bucket_left_corrects_nothing(under_test: StoreUnderTest) -> None:
    store = under_test.store
    first = _adm(T0, tokens=500, org_tpm=1000)
    result = await store.admit(first)
    assert (await store.admit(_adm(T0 + 70, tokens=500, org_tpm=1000))).admitted
    await _settle(under_test, first, result, 0)  # a 70-second request
    rejected = await store.admit(_adm(T0 + 71, tokens=600, org_tpm=1000))
    assert (rejected.admitted, rejected.remaining_tokens) == (False, 500)


async def test_a_request_larger_than_the_limit_is_counted_up_to_it(
    under_test: StoreUnderTest,
) -> None:
    store = under_test.store
    large = await store.admit(_adm(T0, tokens=5000, org_tpm=1000))
    assert (large.admitted, large.remaining_tokens) == (True, 0)
    assert (large.reserved.tokens, large.reserved.counted) == (5000, 1000)
    waits = await store.admit(_adm(T0 + 1, tokens=5000, org_tpm=1000))
    assert (waits.reason, waits.retry_after_s) == (Reason.ORG_TOKENS, 59)  # never forever


async def test_key_limits_and_the_tighter_headers(under_test: StoreUnderTest) -> None:
    store = under_test.store
    results = [await store.admit(_adm(T0, key_rpm=3, key_tpm=10_000)) for _ in range(4)]
    assert [r.admitted for r in results] == [True, True, True, False]
    assert results[-1].reason is Reason.KEY_REQUESTS
    assert (results[0].limit_requests, results[0].remaining_requests) == (3, 2)
    assert (results[0].limit_tokens, results[0].remaining_tokens) == (10_000, 9_900)
    other = await store.admit(_adm(T0, key="key-2", key_rpm=3))
    assert (other.admitted, other.remaining_requests) == (True, 2)  # keys count apart
    assert (await store.admit(_adm(T0, key="key-3", tokens=600, key_tpm=500))).admitted
    tokens = await store.admit(_adm(T0, key="key-3", tokens=1, key_tpm=500))
    assert (tokens.reason, tokens.limit_tokens) == (Reason.KEY_TOKENS, 500)


async def test_the_org_limit_covers_all_its_keys(under_test: StoreUnderTest) -> None:
    store = under_test.store
    for key in ("a", "b", "c"):
        assert (await store.admit(_adm(T0, key=key, org_rpm=3, key_rpm=2))).admitted
    rejected = await store.admit(_adm(T0, key="d", org_rpm=3, key_rpm=2))
    assert (rejected.reason, rejected.limit_requests) == (Reason.ORG_REQUESTS, 3)
    assert (await store.admit(_adm(T0, org="other", org_rpm=3))).admitted  # tenants apart


async def test_a_rejection_by_the_budget_consumes_no_rate_limit(
    under_test: StoreUnderTest,
) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 0, 0, 86_400)  # its spend is known
    assert (await store.admit(_adm(T0, budget_tokens=150))).admitted
    rejected = await store.admit(_adm(T0, budget_tokens=150))
    assert rejected.reason is Reason.BUDGET_TOKENS and rejected.retry_after_s is None
    probe = await store.admit(_adm(T0, tokens=50, budget_tokens=150))
    assert (probe.admitted, probe.remaining_requests, probe.remaining_tokens) == (
        True,
        98,
        100_000 - 150,
    )


async def test_a_rejection_by_a_key_consumes_nothing_of_the_org(
    under_test: StoreUnderTest,
) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 0, 0, 86_400)  # its spend is known
    assert (await store.admit(_adm(T0, key_rpm=1, budget_tokens=200))).admitted
    rejected = await store.admit(_adm(T0, key_rpm=1, budget_tokens=200))
    assert rejected.reason is Reason.KEY_REQUESTS
    other = await store.admit(_adm(T0, key="key-2", budget_tokens=200))
    # org: two requests in all; budget: two reservations of 100 fit exactly under 200
    assert (other.admitted, other.remaining_requests) == (True, 98)


async def test_budget_reserves_the_worst_case_and_settles_the_actual(
    under_test: StoreUnderTest,
) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 0, 0, 86_400)  # its spend is known
    admissions = [_adm(T0, tokens=400, cost=40, budget_tokens=1000) for _ in range(3)]
    results = [await store.admit(a) for a in admissions]
    assert [r.admitted for r in results] == [True, True, False]
    assert results[2].reason is Reason.BUDGET_TOKENS
    await _settle(under_test, admissions[0], results[0], 100, 10)
    assert await store.spend(ORG, PERIOD) == (100, 10)
    assert (await store.admit(_adm(T0 + 1, tokens=400, budget_tokens=1000))).admitted
    assert not (await store.admit(_adm(T0 + 1, tokens=101, budget_tokens=1000))).admitted
    assert (await store.admit(_adm(T0 + 1, tokens=100, budget_tokens=1000))).admitted


async def test_budget_usd_cap(under_test: StoreUnderTest) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 0, 0, 86_400)
    first = _adm(T0, cost=600, budget_usd_micro=1000)
    result = await store.admit(first)
    rejected = await store.admit(_adm(T0, cost=401, budget_usd_micro=1000))
    assert (result.admitted, rejected.reason) == (True, Reason.BUDGET_USD)
    await _settle(under_test, first, result, 100, 200)
    assert (await store.admit(_adm(T0, cost=800, budget_usd_micro=1000))).admitted
    assert await store.spend(ORG, PERIOD) == (100, 200)


async def test_unlimited_budgets_still_count_spend(under_test: StoreUnderTest) -> None:
    admission = _adm(T0, tokens=10**9, cost=10**12, org_tpm=10**10)
    result = await under_test.store.admit(admission)
    await _settle(under_test, admission, result, 10**9, 10**12)
    assert await under_test.store.spend(ORG, PERIOD) == (10**9, 10**12)


async def test_a_new_period_starts_a_fresh_budget(under_test: StoreUnderTest) -> None:
    store = under_test.store
    limits = replace(LIMITS, budget_tokens=100)
    boundary = datetime(2026, 12, 5, tzinfo=UTC).timestamp()
    before = admission_for(
        ORG, KEY, limits, tokens=100, cost_micro=1, now=boundary - 1, budget_reset_day=5
    )
    await store.seed_spend(ORG, before.period_id, 0, 0, 86_400)
    result = await store.admit(before)
    await _settle(under_test, before, result, 100, 1)
    assert not (await store.admit(replace(before, now=boundary - 0.5))).admitted
    after = admission_for(
        ORG, KEY, limits, tokens=100, cost_micro=1, now=boundary, budget_reset_day=5
    )
    assert (before.period_id, after.period_id) == ("2026-11-05", "2026-12-05")
    assert (await store.admit(after)).reason is Reason.SPEND_UNKNOWN  # until seeded
    await store.seed_spend(ORG, after.period_id, 0, 0, 86_400)
    assert (await store.admit(after)).admitted
    assert await store.spend(ORG, "2026-11-05") == (100, 1)
    assert await store.spend(ORG, "2026-12-05") == (0, 0)


async def test_seeded_spend_counts_and_never_goes_down(under_test: StoreUnderTest) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 500, 50, 86_400)
    assert await store.spend(ORG, PERIOD) == (500, 50)
    await store.seed_spend(ORG, PERIOD, 100, 80, 86_400)
    assert await store.spend(ORG, PERIOD) == (500, 80)
    assert not (await store.admit(_adm(T0, tokens=200, budget_tokens=600))).admitted
    assert (await store.admit(_adm(T0, tokens=100, budget_tokens=600))).admitted
    assert await store.spend(ORG, "2026-10-05") == (0, 0)


async def test_a_leaked_reservation_stops_holding_budget(under_test: StoreUnderTest) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 0, 0, 86_400)  # its spend is known
    leaked = _adm(T0, tokens=100, budget_tokens=100)
    result = await store.admit(leaked)  # its process dies: never settled in time
    assert not (await store.admit(_adm(T0 + 29 * 60, budget_tokens=100))).admitted
    assert (await store.admit(_adm(T0 + 30 * 60, budget_tokens=100))).admitted
    await _settle(under_test, leaked, result, 40)  # a late settle still records the spend
    assert await store.spend(ORG, PERIOD) == (40, 0)
    assert not (await store.admit(_adm(T0 + 30 * 60, tokens=1, budget_tokens=100))).admitted


async def test_a_budget_whose_spend_is_unknown_admits_nothing_until_seeded(
    under_test: StoreUnderTest,
) -> None:
    store = under_test.store
    unknown = await store.admit(_adm(T0, org_rpm=1, budget_tokens=1000))
    assert (unknown.admitted, unknown.reason) == (False, Reason.SPEND_UNKNOWN)
    assert (await store.admit(_adm(T0, org_rpm=1))).admitted  # it consumed no request
    await store.seed_spend(ORG, PERIOD, 950, 0, 86_400)  # from the database
    refused = await store.admit(_adm(T0 + 61, budget_tokens=1000))
    assert refused.reason is Reason.BUDGET_TOKENS  # 950 spent + 100 > 1000


async def test_output_is_lowered_to_fit_the_budget_then_refused(
    under_test: StoreUnderTest,
) -> None:
    store = under_test.store
    await store.seed_spend(ORG, PERIOD, 0, 0, 86_400)

    def asking(output: int) -> Admission:  # 100 prompt tokens for 10, output at 1 a token
        return replace(
            _adm(T0, tokens=100 + output, cost=10 + output, budget_usd_micro=500),
            output_tokens=output,
            output_per_million=1_000_000,
        )

    whole = await store.admit(asking(200))
    lowered = await store.admit(asking(1000))
    last = await store.admit(asking(1000))
    assert (whole.reserved.output_tokens, whole.reserved.cost_micro) == (200, 210)
    assert (lowered.reserved.output_tokens, lowered.reserved.cost_micro) == (280, 290)
    assert (lowered.reserved.tokens, lowered.reserved.counted) == (380, 380)
    assert (last.admitted, last.reason) == (False, Reason.BUDGET_USD)  # 500 all reserved
    await _settle(under_test, asking(1000), lowered, 150, 60)
    assert await store.spend(ORG, PERIOD) == (150, 60)
    again = await store.admit(asking(1000))  # 230 freed: 220 of output after the prompt
    assert (again.admitted, again.reserved.output_tokens) == (True, 220)


async def test_a_settle_teaches_the_models_prompt_factor(under_test: StoreUnderTest) -> None:
    store = under_test.store
    admission = _adm(T0)
    result = await store.admit(admission)
    sample = PromptSample("anthropic/claude", estimated=100, reported=150)

    await store.settle(Settlement(admission, result, 150, 1, sample), None)
    await store.settle(Settlement(admission, result, 10, 1, replace(sample, reported=90)), None)
    await store.settle(Settlement(admission, result, 10, 1, None), None)  # no report: no lesson

    first = next_factor(INITIAL, 100, 150)
    assert await store.prompt_factors() == {"anthropic/claude": next_factor(first, 100, 90)}


async def test_a_lagging_clock_counts_in_the_newest_second(under_test: StoreUnderTest) -> None:
    store = under_test.store
    ahead = await store.admit(_adm(T0 + 5.5))
    behind = await store.admit(_adm(T0 + 3.2))
    assert ahead.bucket == behind.bucket == int(T0) + 5
    assert behind.reset_requests == "1m0s"


async def test_settle_appends_the_usage_record(under_test: StoreUnderTest) -> None:
    admission = _adm(T0)
    result = await under_test.store.admit(admission)
    record: dict[str, str | int] = {"request_id": "req-1", "org_id": ORG, "tokens": 42}
    await _settle(under_test, admission, result, 42, 4, record)
    await _settle(under_test, admission, result, 42, 4, None)
    assert await under_test.records() == [{"request_id": "req-1", "org_id": ORG, "tokens": "42"}]


async def test_settling_a_rejection_only_appends_its_record(under_test: StoreUnderTest) -> None:
    store = under_test.store
    first = await store.admit(_adm(T0, org_rpm=1))
    admission = _adm(T0, org_rpm=1, budget_tokens=100)
    rejected = await store.admit(admission)
    await _settle(under_test, admission, rejected, 100, 10, {"request_id": "req-2"})
    assert await store.spend(ORG, PERIOD) == (0, 0)
    assert await under_test.records() == [{"request_id": "req-2"}]
    assert first.admitted and not rejected.admitted


async def test_stores_agree_on_a_random_run(async_redis: aioredis.Redis) -> None:
    stores = [memory_store(), redis_store(async_redis)]
    for store in stores:
        for org in ("o1", "o2"):
            for period in ("p1", "p2"):
                await store.store.seed_spend(org, period, 0, 0, 86_400)
    rng = random.Random(20261105)
    now = T0
    pending: list[tuple[Admission, AdmissionResult]] = []
    answers: list[list[AdmissionResult]] = [[], []]
    lowered = 0
    for _ in range(400):
        now += rng.choice([0, 0, 0.25, 0.7, 1, 3, 11, -1.5, 45, 700])
        if pending and rng.random() < 0.4:
            admission, result = pending.pop(rng.randrange(len(pending)))
            actual = rng.randint(0, result.reserved.tokens)
            sample = PromptSample(rng.choice(["a/m", "b/m"]), rng.randint(1, 500), actual)
            settlement = Settlement(admission, result, actual, actual // 10, sample)
            for store in stores:
                await store.store.settle(settlement, {"tokens": actual})
            continue
        tokens = rng.randint(0, 700)
        price = rng.choice([0, 600_000, 15_000_000])
        output = rng.randint(0, tokens)
        admission = Admission(
            rng.choice(["o1", "o2"]),
            rng.choice(["k1", "k2"]),
            Limits(
                rng.randint(2, 8),
                rng.randint(300, 2000),
                rng.choice([None, 1, 3]),
                rng.choice([None, 400, 900]),
                rng.choice([None, 2000, 5000]),
                rng.choice([None, 300, 600]),
            ),
            tokens,
            rng.randint(0, 90) + output_cost_micro(output, price),
            rng.choice(["p1", "p2"]),
            86_400,
            now,
            output,
            price,
        )
        results = [await store.store.admit(admission) for store in stores]
        for answer, result in zip(answers, results, strict=True):
            answer.append(result)
        if results[0].admitted:
            pending.append((admission, results[0]))
            lowered += results[0].reserved.output_tokens < admission.output_tokens
    assert answers[0] == answers[1]
    assert sum(r.admitted for r in answers[0]) > 50  # the run exercised both paths
    assert any(not r.admitted for r in answers[0])
    for org in ("o1", "o2"):
        for period in ("p1", "p2"):
            assert await stores[0].store.spend(org, period) == await stores[1].store.spend(
                org, period
            )
    assert await stores[0].records() == await stores[1].records()
    assert await stores[0].store.prompt_factors() == await stores[1].store.prompt_factors()
    assert lowered > 0  # some admissions had their output lowered to fit a budget
