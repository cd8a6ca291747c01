"""The in-process vector index: one numpy matrix per active scope, kept in step with Redis.

Redis is the source of truth (each scope's hash of packed members, see `store`); a
process loads a scope's members the first time it searches it, then follows the
organization's change log (a Redis stream of add / del / clear events) so that entries
stored, evicted or cleared by any gateway process reach every other within one lookup.

Replaying an event the snapshot already reflects is harmless: adds carry the whole
member, so replaying any suffix of the log in order converges to the same state.
Search is exact: one matrix-vector product over the scope's unit vectors.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

_HEADER = struct.Struct("<BQH")  # embedder id length, expires (ms), dimensions


@dataclass(frozen=True, slots=True)
class Member:
    """A semantic entry as the index holds it: its vector and its prompt's text."""

    entry: str
    embedder: str
    expires_ms: int
    vector: np.ndarray
    text: str


def pack_member(embedder: str, expires_ms: int, vector: np.ndarray, text: str) -> bytes:
    name = embedder.encode()
    vec = np.ascontiguousarray(vector, dtype="<f4")
    return _HEADER.pack(len(name), expires_ms, vec.size) + name + vec.tobytes() + text.encode()


def unpack_member(entry: str, raw: bytes) -> Member | None:
    """The member packed in `raw`, or None for an exact-only entry (empty value)."""
    if len(raw) < _HEADER.size:
        return None
    name_len, expires_ms, dim = _HEADER.unpack_from(raw)
    start = _HEADER.size + name_len
    end = start + 4 * dim
    vector = np.frombuffer(raw, dtype="<f4", count=dim, offset=start).astype(np.float32)
    name = raw[_HEADER.size : start].decode()
    return Member(entry, name, expires_ms, vector, raw[end:].decode())


@dataclass(frozen=True, slots=True)
class Candidate:
    entry: str
    text: str
    similarity: float


class ScopeIndex:
    """The vectors of one scope, for one embedder, as rows of a growing matrix."""

    def __init__(self, embedder: str, synced: tuple[int, int]) -> None:
        self.embedder = embedder
        self.dim = 0  # known from the first vector
        self.reset(synced)

    def reset(self, synced: tuple[int, int]) -> None:
        """Empty the index, as of log position `synced`."""
        self.synced = synced  # the newest log event this index reflects
        self._matrix = np.zeros((0, self.dim), dtype=np.float32)
        self._expires = np.zeros(0, dtype=np.int64)
        self._entries: list[str] = []
        self._texts: list[str] = []
        self._rows: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def upsert(self, member: Member) -> None:
        if member.embedder != self.embedder:
            return
        if not self.dim:
            self.dim = member.vector.size
            self._matrix = np.zeros((0, self.dim), dtype=np.float32)
        if member.vector.size != self.dim:
            return
        row = self._rows.get(member.entry)
        if row is None:
            row = len(self._entries)
            self._grow(row + 1)
            self._rows[member.entry] = row
            self._entries.append(member.entry)
            self._texts.append(member.text)
        self._matrix[row] = member.vector
        self._expires[row] = member.expires_ms
        self._texts[row] = member.text

    def remove(self, entry: str) -> None:
        row = self._rows.pop(entry, None)
        if row is None:
            return
        last = len(self._entries) - 1
        if row != last:  # move the last row into the hole
            moved = self._entries[last]
            self._matrix[row] = self._matrix[last]
            self._expires[row] = self._expires[last]
            self._entries[row] = moved
            self._texts[row] = self._texts[last]
            self._rows[moved] = row
        self._entries.pop()
        self._texts.pop()

    def search(self, query: np.ndarray, now_ms: int, k: int) -> list[Candidate]:
        """The `k` live rows most similar to the unit vector `query`, best first."""
        n = len(self._entries)
        if n == 0:
            return []
        sims = self._matrix[:n] @ query.astype(np.float32, copy=False)
        sims[self._expires[:n] <= now_ms] = -2.0
        if n > k:
            top = np.argpartition(-sims, k)[:k]
            top = top[np.argsort(-sims[top])]
        else:
            top = np.argsort(-sims)
        return [
            Candidate(self._entries[i], self._texts[i], float(sims[i]))
            for i in top
            if sims[i] > -2.0
        ]

    def _grow(self, size: int) -> None:
        if size <= len(self._matrix):
            return
        capacity = max(size, 16, 2 * len(self._matrix))
        matrix = np.zeros((capacity, self.dim), dtype=np.float32)
        matrix[: len(self._entries)] = self._matrix[: len(self._entries)]
        expires = np.zeros(capacity, dtype=np.int64)
        expires[: len(self._entries)] = self._expires[: len(self._entries)]
        self._matrix, self._expires = matrix, expires


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One change of an organization's cache, as its log carries it."""

    id: tuple[int, int]
    op: str  # "add" | "del" | "clear"
    scope: str  # "" with "clear": every scope
    entry: str
    member: bytes


class OrgIndexes:
    """The loaded scope indexes of one organization in this process."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, str], ScopeIndex] = {}
        self._by_scope: dict[str, list[ScopeIndex]] = {}

    def __len__(self) -> int:
        return len(self._indexes)

    def get(self, scope: str, embedder: str) -> ScopeIndex | None:
        return self._indexes.get((scope, embedder))

    def add(self, scope: str, index: ScopeIndex) -> None:
        self.remove(scope, index.embedder)
        self._indexes[(scope, index.embedder)] = index
        self._by_scope.setdefault(scope, []).append(index)

    def remove(self, scope: str, embedder: str) -> ScopeIndex | None:
        index = self._indexes.pop((scope, embedder), None)
        if index is not None:
            siblings = self._by_scope[scope]
            siblings.remove(index)
            if not siblings:
                del self._by_scope[scope]
        return index

    def rows(self) -> int:
        return sum(len(index) for index in self._indexes.values())

    def read_from(self) -> tuple[int, int] | None:
        """Where the next log read starts: the oldest position of any loaded index."""
        return min((index.synced for index in self._indexes.values()), default=None)

    def apply(self, events: list[LogEvent]) -> None:
        """Apply log events in order; each index skips those its snapshot already holds."""
        for event in events:
            every = event.op == "clear" and not event.scope
            targets = self._indexes.values() if every else self._by_scope.get(event.scope, ())
            for index in targets:
                if event.id > index.synced:
                    _apply_one(index, event)
        if events:
            newest = events[-1].id
            for index in self._indexes.values():
                index.synced = max(index.synced, newest)


def _apply_one(index: ScopeIndex, event: LogEvent) -> None:
    if event.op == "clear":
        index.reset(event.id)
    elif event.op == "add":
        member = unpack_member(event.entry, event.member)
        if member is not None:
            index.upsert(member)
    elif event.op == "del":
        index.remove(event.entry)


class IndexRegistry:
    """Every organization's loaded indexes in this process, bounded in rows and scopes (LRU)."""

    def __init__(self, max_rows: int, max_scopes: int = 10_000) -> None:
        self.max_rows = max_rows
        self.max_scopes = max_scopes
        self._orgs: dict[str, OrgIndexes] = {}
        self._recent: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    def org(self, org_id: str) -> OrgIndexes | None:
        return self._orgs.get(org_id)

    def get(self, org_id: str, scope: str, embedder: str) -> ScopeIndex | None:
        org = self._orgs.get(org_id)
        index = org.get(scope, embedder) if org else None
        if index is not None:
            self._recent.move_to_end((org_id, scope, embedder))
        return index

    def install(self, org_id: str, scope: str, index: ScopeIndex) -> None:
        self._orgs.setdefault(org_id, OrgIndexes()).add(scope, index)
        self._recent[(org_id, scope, index.embedder)] = None
        self._recent.move_to_end((org_id, scope, index.embedder))
        self._evict()

    def drop_org(self, org_id: str) -> None:
        if self._orgs.pop(org_id, None) is not None:
            for key in [k for k in self._recent if k[0] == org_id]:
                del self._recent[key]

    def rows(self) -> int:
        return sum(org.rows() for org in self._orgs.values())

    def _evict(self) -> None:
        rows = self.rows()
        while len(self._recent) > 1 and (
            rows > self.max_rows or len(self._recent) > self.max_scopes
        ):
            (org_id, scope, embedder), _ = self._recent.popitem(last=False)
            org = self._orgs[org_id]
            dropped = org.remove(scope, embedder)
            rows -= len(dropped) if dropped is not None else 0
            if not len(org):
                del self._orgs[org_id]
