"""Spend that survives Redis: a budget period's spend, rebuilt when Redis does not know it.

The admit script refuses to admit anything for an organization with a budget while its
period's counters have not been seeded (`Reason.SPEND_UNKNOWN`): after Redis lost its data
(a restart without persistence, a failover to an empty replica, FLUSHALL) and at the start
of each period. `SeedingAdmission` then rebuilds the spend once (`SpendSeeder`) and asks
again: everything the database holds for the period, plus every usage record still waiting
in the stream that the database does not have yet. The seed only ever raises the counters
(a settle may have run meanwhile), so seeding twice, from several processes, is harmless.

A settle that lands between the seeder's read and its write is counted once either way,
unless its record was not yet in the stream when it was read: one in-flight request, which
the budget bound in RELIABILITY.md covers. Records lost with Redis before they were ingested
are lost to the seed too; hence the append-only file of the embedded Redis.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import Engine, func
from sqlmodel import col, select

from gateway.budget.admission import (
    Admission,
    AdmissionResult,
    AdmissionStore,
    Reason,
    Settlement,
)
from gateway.budget.period import Period
from gateway.db.models import RequestLog
from gateway.db.models.types import micro_sum
from gateway.db.sessions import tenant_session
from gateway.usage import USAGE_STREAM

_PAGE = 1000


class SpendSeeder:
    """Seeds a period's spend from the database and the usage stream (one seed at a time
    per organization and period in this process)."""

    def __init__(
        self,
        engine: Engine,
        redis: aioredis.Redis,
        store: AdmissionStore,
        *,
        stream_key: str = USAGE_STREAM,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._store = store
        self._stream_key = stream_key
        self._seeding: dict[tuple[str, str], asyncio.Future[None]] = {}

    async def seed(self, admission: Admission) -> None:
        key = (admission.org_id, admission.period_id)
        if (running := self._seeding.get(key)) is not None:
            return await asyncio.shield(running)
        self._seeding[key] = done = asyncio.get_running_loop().create_future()
        try:
            period = Period.of_id(admission.period_id)
            waiting = await self._waiting_in_stream(admission.org_id, period)
            tokens, usd = await asyncio.to_thread(
                database_spend, self._engine, uuid.UUID(admission.org_id), period, waiting
            )
            await self._store.seed_spend(
                admission.org_id, admission.period_id, tokens, usd, admission.period_ttl_s
            )
            done.set_result(None)
        except BaseException as exc:
            done.set_exception(exc)
            done.exception()  # retrieved: the waiters, if any, raise it themselves
            raise
        finally:
            del self._seeding[key]

    async def _waiting_in_stream(self, org_id: str, period: Period) -> dict[str, tuple[int, int]]:
        """(tokens, micro-USD) by request id of the organization's records in the stream
        that fall in `period`."""
        starts, ends = _ms(period.starts_at), _ms(period.ends_at)
        found: dict[str, tuple[int, int]] = {}
        after = "-"
        while True:
            entries: list[Any] = await self._redis.xrange(self._stream_key, after, "+", _PAGE)
            for _, fields in entries:
                record = _text(fields)
                if record.get("org_id") != org_id:
                    continue
                if starts <= int(record.get("created_at_ms") or 0) < ends:
                    tokens = int(record.get("prompt_tokens") or 0) + int(
                        record.get("completion_tokens") or 0
                    )
                    found[record["request_id"]] = (tokens, int(record.get("cost_micro") or 0))
            if len(entries) < _PAGE:
                return found
            after = "(" + entries[-1][0].decode()


def database_spend(
    engine: Engine, org_id: uuid.UUID, period: Period, waiting: Mapping[str, tuple[int, int]]
) -> tuple[int, int]:
    """(tokens, micro-USD) of the organization's rows in `period`, plus the records in
    `waiting` (by request id) that have no row yet."""
    logs = RequestLog.__table__.c  # type: ignore[attr-defined]
    with tenant_session(engine, org_id) as session:
        dialect = session.get_bind().dialect.name
        statement = select(
            func.coalesce(func.sum(logs.total_tokens), 0),
            func.coalesce(micro_sum(logs.cost, dialect), 0),
        ).where(
            logs.org_id == org_id,
            logs.created_at >= period.starts_at,
            logs.created_at < period.ends_at,
        )
        tokens, usd = session.exec(statement).one()
        stored: set[str] = set()
        if waiting:
            ids = list(waiting)
            stored = set(
                session.exec(
                    select(RequestLog.request_id).where(col(RequestLog.request_id).in_(ids))
                )
            )
    missing = [spend for request_id, spend in waiting.items() if request_id not in stored]
    return (
        int(tokens) + sum(tokens for tokens, _ in missing),
        int(usd) + sum(usd for _, usd in missing),
    )


class SeedingAdmission:
    """An `AdmissionStore` that seeds a budget period's spend when the store does not know
    it, then admits again; everything else goes to `store` as it is."""

    def __init__(self, store: AdmissionStore, seeder: SpendSeeder) -> None:
        self._store = store
        self._seeder = seeder

    async def admit(self, admission: Admission) -> AdmissionResult:
        result = await self._store.admit(admission)
        if result.reason is Reason.SPEND_UNKNOWN:
            await self._seeder.seed(admission)
            result = await self._store.admit(admission)
        return result

    async def settle(
        self, settlement: Settlement, usage_record: Mapping[str, str | int] | None
    ) -> None:
        await self._store.settle(settlement, usage_record)

    async def spend(self, org_id: str, period_id: str) -> tuple[int, int]:
        return await self._store.spend(org_id, period_id)

    async def seed_spend(
        self, org_id: str, period_id: str, tokens: int, usd_micro: int, ttl_s: int
    ) -> None:
        await self._store.seed_spend(org_id, period_id, tokens, usd_micro, ttl_s)

    async def prompt_factors(self) -> dict[str, float]:
        return await self._store.prompt_factors()


def _text(fields: Mapping[bytes, bytes]) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in fields.items()}


def _ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)
