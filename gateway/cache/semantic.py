"""`SemanticCache`: the cache stage's facade, for the pipeline's stage 4.

    request = cache.prepare(tenant, body, headers)   # None: this request bypasses the cache
    hit = await cache.lookup(request)                # exact, then semantic; None on a miss
    ...                                              # on a miss, call the provider, then
    await cache.store(request, response_bytes, cost_micro)

The exact tier is one Redis round trip and never touches the embedder. The semantic tier
embeds the last user message only when the scope has entries to compare with, searches
the scope's in-process index, and serves the best candidate at or above the tenant's
threshold that passes `verify` (up to `candidates` of them are checked, best first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np
import orjson
import redis.asyncio as aioredis

from gateway.background import BackgroundTasks
from gateway.cache.embedder import Embedder
from gateway.cache.index import (
    IndexRegistry,
    LogEvent,
    ScopeIndex,
    pack_member,
    unpack_member,
)
from gateway.cache.policy import (
    CacheSettings,
    bypass_reason,
    semantic_query,
    settings_for,
    storable,
)
from gateway.cache.replay import DONE_FRAME, fresh_completion, sse_frames
from gateway.cache.scope import CacheKeys, Routing, cache_keys
from gateway.cache.store import LOG_BATCH, CacheStats, RedisCacheStore, ScopeInfo, StoredEntry
from gateway.cache.verify import Details, details, verify
from gateway.pipelined_redis import PipelinedRedis
from gateway.tenancy.context import TenantContext

log = logging.getLogger(__name__)

EXACT = "exact"
SEMANTIC = "semantic"
MISS = "miss"


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """Process-wide limits of the cache (per-tenant settings live on the tenant)."""

    max_entries_per_org: int = 50_000
    log_maxlen: int = 20_000
    candidates: int = 4  # semantic candidates verified, best first
    max_loaded_rows: int = 2_000_000  # vectors held in this process, all tenants together
    reap_limit: int = 32  # expired entries reaped per store
    embedding_memo: int = 20_000  # recent (tenant, text) -> vector; 0 turns it off


@dataclass(slots=True)
class CacheRequest:
    """One request's cache work: its keys, and what the lookup found (for the record)."""

    tenant: TenantContext
    settings: CacheSettings
    keys: CacheKeys
    query: str | None  # the semantic tier's text; None: exact tier only
    status: str = MISS
    similarity: float | None = None  # of the best semantic candidate, served or not
    vector: np.ndarray | None = None
    embedder_id: str | None = None

    @property
    def org_id(self) -> str:
        return self.tenant.org_id


@dataclass(frozen=True, slots=True)
class CacheHit:
    """An answer from the cache, in OpenAI's chat.completion shape."""

    completion: dict[str, Any]
    status: str  # "exact" | "semantic"
    similarity: float
    saved_cost_micro: int  # what the original call cost

    @property
    def body(self) -> bytes:
        return orjson.dumps(self.completion)


EmbedderFor = Callable[[TenantContext], Embedder]


class SemanticCache:
    """Per-tenant exact + semantic cache over Redis, with in-process vector indexes."""

    def __init__(
        self,
        redis: aioredis.Redis,
        embedder: Embedder | EmbedderFor,
        *,
        config: CacheConfig | None = None,
        clock: Callable[[], float] = time.time,
        wire: PipelinedRedis | None = None,
    ) -> None:
        self.config = config or CacheConfig()
        self.store_ = RedisCacheStore(
            redis,
            max_entries=self.config.max_entries_per_org,
            log_maxlen=self.config.log_maxlen,
            reap_limit=self.config.reap_limit,
            wire=wire,
        )
        self._embedder_for = _resolver(embedder)
        self.indexes = IndexRegistry(self.config.max_loaded_rows)
        self._loading: dict[tuple[str, str, str], asyncio.Future[ScopeIndex]] = {}
        self._background = BackgroundTasks("cache bookkeeping")
        self._memo: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()
        self._clock = clock

    # -- decisions ----------------------------------------------------------------------

    def prepare(
        self,
        tenant: TenantContext,
        body: dict[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> CacheRequest | None:
        """The request's cache work, or None when it must neither read nor fill the cache."""
        settings = settings_for(tenant)
        if bypass_reason(settings, body, headers) is not None:
            return None
        weights = tuple(sorted(tenant.routing_weights.items()))
        routing = Routing(tenant.routing_strategy, weights, tenant.prefer_local)
        keys = cache_keys(tenant.org_id, body, routing)
        return CacheRequest(tenant, settings, keys, semantic_query(settings, keys.query))

    def should_cache(
        self,
        tenant: TenantContext,
        body: dict[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        return bypass_reason(settings_for(tenant), body, headers) is None

    # -- lookup -------------------------------------------------------------------------

    async def lookup(self, request: CacheRequest) -> CacheHit | None:
        now_ms = self._now_ms()
        embedder = self._embedder_for(request.tenant) if request.query is not None else None
        org = self.indexes.org(request.org_id) if embedder is not None else None
        log_from = org.read_from() if org is not None else None
        entry, log = await self.store_.lookup(request.org_id, request.keys.exact, log_from)
        if entry is not None and entry.expires_ms > now_ms:
            self._later(
                self.store_.record(
                    request.org_id,
                    status=EXACT,
                    saved_micro=entry.cost_micro,
                    touch=f"{request.keys.scope}:{request.keys.exact}",
                    now_ms=now_ms,
                )
            )
            return self._hit(request, entry, EXACT, 1.0)
        if embedder is None:
            self._miss(request)
            return None
        if log is not None:
            await self._follow(request.org_id, log.events, log.gap)
        hit = await self._semantic(request, embedder, now_ms)
        if hit is None:
            self._miss(request)
        return hit

    async def _semantic(
        self, request: CacheRequest, embedder: Embedder, now_ms: int
    ) -> CacheHit | None:
        assert request.query is not None
        index = await self._index(request.org_id, request.keys.scope, embedder)
        if not len(index):
            return None  # nothing to compare with: the embedding waits for the store
        request.vector = await self._embed(request, embedder)
        request.embedder_id = embedder.id
        candidates = index.search(request.vector, now_ms, self.config.candidates)
        if not candidates:
            return None
        request.similarity = candidates[0].similarity
        query = _details(request.query)
        for candidate in candidates:
            if candidate.similarity < request.settings.threshold:
                break
            if not verify(_details(candidate.text), query).ok:
                continue
            entry = await self.store_.take(
                request.org_id,
                scope=request.keys.scope,
                exact=candidate.entry,
                status=SEMANTIC,
                now_ms=now_ms,
            )
            if entry is None or entry.expires_ms <= now_ms:
                index.remove(candidate.entry)
                continue
            return self._hit(request, entry, SEMANTIC, candidate.similarity)
        return None

    async def _follow(self, org_id: str, events: list[LogEvent], gap: bool) -> None:
        """Apply the organization's new log events to this process's indexes."""
        org = self.indexes.org(org_id)
        while org is not None:
            if gap:
                self.indexes.drop_org(org_id)
                return
            org.apply(events)
            position = org.read_from()
            if len(events) < LOG_BATCH or position is None:
                return
            log = await self.store_.read_log(org_id, position)
            events, gap = log.events, log.gap

    async def _index(self, org_id: str, scope: str, embedder: Embedder) -> ScopeIndex:
        """The scope's index in this process, loaded from Redis once (concurrent callers share)."""
        index = self.indexes.get(org_id, scope, embedder.id)
        if index is not None:
            return index
        key = (org_id, scope, embedder.id)
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.get_running_loop().create_future()
            self._loading[key] = loading
            try:
                index = await self._load(org_id, scope, embedder.id)
            except asyncio.CancelledError:
                loading.cancel()
                raise
            except Exception as exc:  # handed to the callers sharing this load, then raised
                loading.set_exception(exc)
                loading.exception()  # retrieved: the waiters (if any) re-raise it
                raise
            finally:
                del self._loading[key]
            loading.set_result(index)
            return index
        return await asyncio.shield(loading)

    async def _load(self, org_id: str, scope: str, embedder_id: str) -> ScopeIndex:
        synced, members = await self.store_.snapshot(org_id, scope)
        index = ScopeIndex(embedder_id, synced)
        for entry, raw in members.items():
            member = unpack_member(entry, raw)
            if member is not None:
                index.upsert(member)
        self.indexes.install(org_id, scope, index)
        return index

    # -- store --------------------------------------------------------------------------

    async def store(self, request: CacheRequest, response: bytes, cost_micro: int) -> bool:
        """Store a successful, complete answer to `request`; False when it is not storable."""
        try:
            completion = orjson.loads(response)
        except orjson.JSONDecodeError:
            return False
        if not storable(completion):
            return False
        now_ms = self._now_ms()
        ttl_ms = request.settings.ttl_s * 1000
        member = b""
        if request.query is not None:
            embedder = self._embedder_for(request.tenant)
            vector = request.vector
            if vector is None or request.embedder_id != embedder.id:
                vector = await self._embed(request, embedder)
            member = pack_member(embedder.id, now_ms + ttl_ms, vector, request.query)
        keys = request.keys
        await self.store_.put(
            request.org_id,
            scope=keys.scope,
            exact=keys.exact,
            body=response,
            cost_micro=cost_micro,
            now_ms=now_ms,
            ttl_ms=ttl_ms,
            member=member,
            label={"model": keys.model, "system": keys.system_preview, "turns": keys.turns},
        )
        return True

    async def _embed(self, request: CacheRequest, embedder: Embedder) -> np.ndarray:
        """The query's vector; a text the tenant sent recently is not embedded again.

        The memo is per tenant, so its timing says nothing about other tenants' prompts.
        """
        assert request.query is not None
        key = (request.org_id, embedder.id, request.query)
        vector = self._memo.get(key)
        if vector is not None:
            self._memo.move_to_end(key)
            return vector
        vector = (await embedder.embed([request.query]))[0]
        if self.config.embedding_memo:
            self._memo[key] = vector
            if len(self._memo) > self.config.embedding_memo:
                self._memo.popitem(last=False)
        return vector

    # -- replay, stats, clearing -------------------------------------------------------

    async def replay_stream(self, hit: CacheHit, include_usage: bool) -> AsyncIterator[bytes]:
        """The hit as SSE frames: chunks, finish reason, usage if asked, cost, [DONE]."""
        for frame in sse_frames(hit.completion, include_usage=include_usage):
            yield frame
        yield b": x-routerai-cost-usd 0.000000\n\n"
        yield DONE_FRAME

    async def stats(self, org_id: str) -> CacheStats:
        return await self.store_.stats(org_id, self._now_ms())

    async def scopes(self, org_id: str) -> list[ScopeInfo]:
        return await self.store_.scopes(org_id)

    async def clear(self, org_id: str, scope: str | None = None) -> int:
        """Remove one organization's entries (all, or one scope's); returns how many."""
        if scope is None:
            removed = await self.store_.clear(org_id)
            self.indexes.drop_org(org_id)
            return removed
        return await self.store_.clear_scope(org_id, scope)

    async def drain(self) -> None:
        """Wait for background stat updates (tests, shutdown)."""
        await self._background.drain()

    # -- helpers ------------------------------------------------------------------------

    def _hit(
        self, request: CacheRequest, entry: StoredEntry, status: str, similarity: float
    ) -> CacheHit:
        """The hit served from `entry` (already counted in the stats, or about to be)."""
        request.status = status
        request.similarity = similarity
        completion = fresh_completion(entry.body, self._clock())
        return CacheHit(completion, status, similarity, entry.cost_micro)

    def _miss(self, request: CacheRequest) -> None:
        request.status = MISS
        self._later(self.store_.record(request.org_id, status=MISS))

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        """Stats and LRU touches run after the answer; their failure costs a count, no more."""
        self._background.spawn(work)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _resolver(embedder: Embedder | EmbedderFor) -> EmbedderFor:
    """One embedder for every tenant, or a function choosing each tenant's."""
    if hasattr(embedder, "embed"):
        fixed = cast(Embedder, embedder)
        return lambda tenant: fixed
    return cast(EmbedderFor, embedder)


@lru_cache(maxsize=16_384)
def _details(text: str) -> Details:
    return details(text)
