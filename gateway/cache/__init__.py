"""Stage 4: the per-tenant semantic cache (exact tier, then semantic tier with verification).

The facade is `SemanticCache`; the pure parts are `scope` (keys), `policy` (what may be
cached), `verify` (the false-hit check), `replay` (SSE replay and stream assembly) and
`index` (the in-process vector index); `store` is the Redis layer and `embedder` the models.
"""

from gateway.cache.embedder import Embedder, MiniLMEmbedder, ProviderEmbedder
from gateway.cache.policy import BYPASS_HEADER
from gateway.cache.replay import StreamAssembler
from gateway.cache.semantic import CacheConfig, CacheHit, CacheRequest, SemanticCache
from gateway.cache.store import CacheStats, ScopeInfo

__all__ = [
    "BYPASS_HEADER",
    "CacheConfig",
    "CacheHit",
    "CacheRequest",
    "CacheStats",
    "Embedder",
    "MiniLMEmbedder",
    "ProviderEmbedder",
    "ScopeInfo",
    "SemanticCache",
    "StreamAssembler",
]
