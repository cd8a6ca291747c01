"""The in-process index: exact top-k search, expiry, log replay, the per-process bound."""

from __future__ import annotations

import numpy as np

from gateway.cache.index import (
    IndexRegistry,
    LogEvent,
    Member,
    OrgIndexes,
    ScopeIndex,
    pack_member,
    unpack_member,
)

NOW = 1_000_000


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def member(entry: str, vector: np.ndarray, expires: int = NOW + 1000, text: str = "t") -> Member:
    return Member(entry, "emb", expires, vector, text)


def test_pack_and_unpack_round_trip() -> None:
    raw = pack_member("emb", 123, unit(1, 2, 3), "héllo")
    got = unpack_member("e1", raw)
    assert got is not None
    assert (got.entry, got.embedder, got.expires_ms, got.text) == ("e1", "emb", 123, "héllo")
    np.testing.assert_allclose(got.vector, unit(1, 2, 3))
    assert unpack_member("e2", b"") is None  # an exact-only entry


def test_search_returns_the_best_live_rows_first() -> None:
    index = ScopeIndex("emb", (0, 0))
    index.upsert(member("a", unit(1, 0, 0)))
    index.upsert(member("b", unit(1, 1, 0)))
    index.upsert(member("c", unit(0, 1, 0)))
    index.upsert(member("dead", unit(1, 0.01, 0), expires=NOW))
    found = index.search(unit(1, 0.1, 0), NOW, k=2)
    assert [c.entry for c in found] == ["a", "b"]
    assert found[0].similarity > found[1].similarity


def test_upsert_replaces_and_remove_keeps_the_rest_searchable() -> None:
    index = ScopeIndex("emb", (0, 0))
    for i in range(40):  # past the initial capacity
        index.upsert(member(f"e{i}", unit(1, i, 0), text=str(i)))
    index.upsert(member("e5", unit(0, 0, 1), text="moved"))
    index.remove("e0")
    index.remove("missing")
    assert len(index) == 39
    best = index.search(unit(0, 0, 1), NOW, k=1)[0]
    assert (best.entry, best.text) == ("e5", "moved")
    assert all(c.entry != "e0" for c in index.search(unit(1, 0, 0), NOW, k=39))


def test_vectors_of_another_embedder_are_ignored() -> None:
    index = ScopeIndex("emb", (0, 0))
    index.upsert(Member("x", "other", NOW + 1, unit(1, 0), "t"))
    assert len(index) == 0


def event(
    ms: int, op: str, scope: str, entry: str = "", vector: np.ndarray | None = None
) -> LogEvent:
    raw = pack_member("emb", NOW + 1000, vector, entry) if vector is not None else b""
    return LogEvent((ms, 0), op, scope, entry, raw)


def test_log_events_apply_once_per_index_in_order() -> None:
    s1, s2 = ScopeIndex("emb", (10, 0)), ScopeIndex("emb", (20, 0))
    org = OrgIndexes()
    org.add("s1", s1)
    org.add("s2", s2)
    assert org.read_from() == (10, 0)
    org.apply(
        [
            event(15, "add", "s2", "old", unit(1, 0)),  # s2's snapshot already has it
            event(21, "add", "s1", "a", unit(1, 0)),
            event(22, "add", "s2", "b", unit(0, 1)),
            event(23, "add", "s1", "c", unit(0, 1)),
            event(24, "del", "s1", "a"),
        ]
    )
    assert len(s1) == 1 and len(s2) == 1
    assert org.read_from() == (24, 0)
    org.apply([event(25, "clear", "s2"), event(26, "clear", "")])
    assert len(s1) == 0 and len(s2) == 0


def test_the_registry_bounds_the_scopes_held_in_process() -> None:
    registry = IndexRegistry(max_rows=100, max_scopes=2)
    for name in ("s1", "s2", "s3"):
        registry.install("org", name, ScopeIndex("emb", (0, 0)))
    assert registry.get("org", "s1", "emb") is None
    assert registry.get("org", "s2", "emb") is not None


def test_the_registry_bounds_the_rows_held_in_process() -> None:
    registry = IndexRegistry(max_rows=3)
    for name in ("s1", "s2", "s3"):
        index = ScopeIndex("emb", (0, 0))
        index.upsert(member(f"{name}-a", unit(1, 0)))
        index.upsert(member(f"{name}-b", unit(0, 1)))
        registry.install("org", name, index)
    assert registry.get("org", "s1", "emb") is None  # least recently used went first
    assert registry.get("org", "s3", "emb") is not None
    assert registry.rows() <= 3
