"""The roll-up's dirty list: a pair marked while a roll-up runs is never lost."""

from __future__ import annotations

import uuid
from datetime import date

import redis

from gateway.analytics.dirty import OrgDay, clear_dirty, dirty_snapshot, mark_dirty

ORG = uuid.uuid4()
MONDAY, TUESDAY = OrgDay(ORG, date(2026, 11, 23)), OrgDay(ORG, date(2026, 11, 24))


def test_a_pair_round_trips_through_its_field() -> None:
    assert OrgDay.parse(MONDAY.field) == MONDAY
    assert OrgDay.parse(MONDAY.field.encode()) == MONDAY


def test_clearing_a_snapshot_empties_the_list(redis_client: redis.Redis) -> None:
    mark_dirty(redis_client, [MONDAY, TUESDAY, MONDAY])
    snapshot = dirty_snapshot(redis_client)
    assert set(snapshot) == {MONDAY, TUESDAY}
    assert clear_dirty(redis_client, snapshot) == 2
    assert dirty_snapshot(redis_client) == {}


def test_a_pair_marked_after_the_snapshot_stays_for_the_next_run(
    redis_client: redis.Redis,
) -> None:
    mark_dirty(redis_client, [MONDAY, TUESDAY])
    snapshot = dirty_snapshot(redis_client)
    mark_dirty(redis_client, [TUESDAY])  # ingestion commits more of Tuesday meanwhile
    assert clear_dirty(redis_client, snapshot) == 1
    assert set(dirty_snapshot(redis_client)) == {TUESDAY}


def test_a_snapshot_can_be_bounded(redis_client: redis.Redis) -> None:
    mark_dirty(redis_client, [OrgDay(uuid.uuid4(), date(2026, 11, 1)) for _ in range(50)])
    assert len(dirty_snapshot(redis_client, limit=20)) == 20
