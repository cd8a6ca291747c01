"""Provider health and failure handling: what the router reads and the executor writes.

- `ewma`: live latency and error rate per provider, as pure moving averages.
- `store`: `HealthStore`, those averages in Redis (batched writes, 1 s cached reads).
- `breaker`: the circuit breaker's pure transitions (closed → open → half-open → closed).
- `breaker_store`: `RedisBreakerStore` (shared by every process) and `MemoryBreakerStore`.
- `platform_limit`: `PlatformRateLimiter`, the shared quota on RouterAI's own provider keys.
- `scripts`: the Lua mirrors of the pure parts.

Nothing is re-exported here, so the pure modules import without Redis.
"""
