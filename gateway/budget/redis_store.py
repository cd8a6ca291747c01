"""`RedisAdmissionStore`: the admission store shared by every gateway process through Redis.

One round trip admits (the admit script) and one settles (the settle script, which also
appends the usage record to the stream, so counters and record change together or not at
all). Scripts run by EVALSHA; a server that lost them (restart, failover) gets them loaded
again on the NOSCRIPT error, and since nothing ran, re-running cannot append twice.

Redis Cluster: an organization's counters share the hash tag `{org_id}`, so they live in one
slot; the usage stream is one key for all tenants, so a settle script touching both is
cross-slot there. A cluster deployment needs the stream sharded by the same hash tags (one
stream per slot group, each read by the workers); a single Redis or a replicated primary is
what RouterAI runs on today. Appending inside the script was measured cheaper than a
pipelined XADD: redis-py's pipeline machinery cost more than the script call itself. For
the same reason admit and settle go over the process's `PipelinedRedis` connection rather
than redis-py's pool; a settle whose reply was lost (`ReplyLost`) is not sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import redis.asyncio as aioredis

from gateway.budget.admission import Admission, AdmissionResult, Settlement
from gateway.budget.decision import build_result, to_ms
from gateway.budget.factors import FACTORS_KEY
from gateway.budget.scripts import ADMIT_SCRIPT, SEED_SCRIPT, SETTLE_SCRIPT
from gateway.pipelined_redis import PipelinedRedis

DEFAULT_STREAM_KEY = "gw:usage"


def org_scope_key(org_id: str) -> str:
    """The organization's rate-limit hash."""
    return f"gw:rl:{{{org_id}}}:org"


def key_scope_key(org_id: str, key_id: str) -> str:
    """An API key's rate-limit hash, in its organization's hash slot."""
    return f"gw:rl:{{{org_id}}}:key:{key_id}"


def budget_key(org_id: str, period_id: str) -> str:
    """The organization's budget hash for one period."""
    return f"gw:budget:{{{org_id}}}:{period_id}"


class RedisAdmissionStore:
    """The `AdmissionStore` contract on Redis: atomic across any number of processes.

    The scripts run over `wire` (by default a pipelined connection of its own to `redis`'s
    server); the rarer calls over `redis`."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream_key: str = DEFAULT_STREAM_KEY,
        *,
        wire: PipelinedRedis | None = None,
    ) -> None:
        self._redis = redis
        self._wire = wire or PipelinedRedis.like(redis)
        self._stream_key = stream_key
        self._admit = redis.register_script(ADMIT_SCRIPT)
        self._settle = redis.register_script(SETTLE_SCRIPT)
        self._seed = redis.register_script(SEED_SCRIPT)

    async def admit(self, admission: Admission) -> AdmissionResult:
        org_id, limits = admission.org_id, admission.limits
        key_rpm, key_tpm = limits.key_rpm, limits.key_tpm
        cap_tokens, cap_usd = limits.budget_tokens, limits.budget_usd_micro
        args = (
            org_scope_key(org_id),
            key_scope_key(org_id, admission.key_id),
            budget_key(org_id, admission.period_id),
            to_ms(admission.now),
            admission.tokens,
            admission.cost_micro,
            limits.org_rpm,
            limits.org_tpm,
            -1 if key_rpm is None else key_rpm,
            -1 if key_tpm is None else key_tpm,
            -1 if cap_tokens is None else cap_tokens,
            -1 if cap_usd is None else cap_usd,
            admission.period_ttl_s,
            admission.output_tokens,
            admission.output_per_million,
        )
        reply = await self._wire.run_script(self._admit, args[:3], args[3:])
        return build_result(admission, reply)

    async def settle(
        self, settlement: Settlement, usage_record: Mapping[str, str | int] | None
    ) -> None:
        result = settlement.result
        if not result.admitted:
            if usage_record is not None:
                await self._redis.xadd(self._stream_key, cast(Any, usage_record))
            return
        admission, held, sample = settlement.admission, result.reserved, settlement.prompt
        org_id = admission.org_id
        args = (
            org_scope_key(org_id),
            key_scope_key(org_id, admission.key_id),
            budget_key(org_id, admission.period_id),
            FACTORS_KEY,
            result.bucket,
            held.counted,
            held.tokens,
            settlement.actual_tokens,
            held.cost_micro,
            settlement.actual_cost_micro,
            1 if admission.limits.keyed else 0,
            admission.period_ttl_s,
            sample.model_key if sample else "",
            sample.estimated if sample else 0,
            sample.reported if sample else 0,
        )
        keys: tuple[str, ...] = args[:4]
        argv: list[Any] = list(args[4:])
        if usage_record is not None:
            keys = (*keys, self._stream_key)
            for field, value in usage_record.items():
                argv += (field, value)
        await self._wire.run_script(self._settle, keys, argv)

    async def spend(self, org_id: str, period_id: str) -> tuple[int, int]:
        tokens, usd = await self._redis.hmget(budget_key(org_id, period_id), ["st", "su"])  # type: ignore[misc]
        return int(tokens or 0), int(usd or 0)

    async def seed_spend(
        self, org_id: str, period_id: str, tokens: int, usd_micro: int, ttl_s: int
    ) -> None:
        await self._seed([budget_key(org_id, period_id)], [tokens, usd_micro, ttl_s])

    async def prompt_factors(self) -> dict[str, float]:
        raw: dict[bytes, bytes] = await self._redis.hgetall(FACTORS_KEY)  # type: ignore[misc]
        return {field.decode(): float(value) for field, value in raw.items()}
