"""The gateway's long-lived parts in one process, built once from settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.budget.redis_store import RedisAdmissionStore
from gateway.budget.seeding import SeedingAdmission, SpendSeeder
from gateway.cache.embedder import MiniLMEmbedder
from gateway.cache.semantic import SemanticCache
from gateway.credentials.crypto import SecretBox
from gateway.credentials.vault import CredentialVault
from gateway.db.engine import make_engine
from gateway.embedded_redis import resolve_redis_url
from gateway.execution import ExecutionLimits, Executor
from gateway.health.breaker import BreakerPolicy
from gateway.health.breaker_store import RedisBreakerStore
from gateway.health.platform_limit import PlatformRateLimiter
from gateway.health.processes import ProcessWatch
from gateway.health.store import HealthStore
from gateway.metrics import Metrics
from gateway.pipeline import Pipeline
from gateway.pipelined_redis import PipelinedRedis
from gateway.pricing.catalog import PROVIDERS, Catalog
from gateway.providers.credentials import PlatformCredentials
from gateway.providers.discovery import ollama_models, with_local_models
from gateway.providers.ollama import OllamaAdapter
from gateway.providers.setup import build_registry
from gateway.providers.transport import Transport
from gateway.routing.attempts import AttemptGate
from gateway.routing.router import Router
from gateway.settings import Settings
from gateway.tenancy.changes import listen_for_changes
from gateway.tenancy.loader import DatabaseTenantLoader
from gateway.tenancy.resolver import TenantResolver
from gateway.usage import UsageRecorder


@dataclass
class Gateway:
    settings: Settings
    redis: aioredis.Redis
    # The hot path's calls (admission, cache lookups), over one pipelined connection.
    wire: PipelinedRedis
    engine: Engine
    transport: Transport
    pipeline: Pipeline
    health: HealthStore
    # Tenants' own provider keys, cached in this process (the router reads them).
    vault: CredentialVault
    # The supervised processes' state, as /health and /metrics report it.
    processes: ProcessWatch
    embedded_redis: Any = None
    _discovery: asyncio.Task[None] | None = None
    _listener: asyncio.Task[None] | None = None
    _factors: asyncio.Task[None] | None = None
    _processes: asyncio.Task[None] | None = None

    @classmethod
    def build(cls, settings: Settings) -> Gateway:
        redis_url, embedded = resolve_redis_url(settings)
        # A blocking pool waits for a free connection under bursts instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(redis_url, max_connections=256, timeout=5)
        redis = aioredis.Redis(connection_pool=pool)
        wire = PipelinedRedis.like(redis)
        engine = make_engine(settings.resolved_database_url)
        transport = Transport(
            connect_timeout_s=settings.upstream_connect_timeout_s,
            read_timeout_s=settings.upstream_timeout_s,
            max_response_bytes=settings.max_upstream_response_bytes,
        )
        registry = build_registry(settings)
        health = HealthStore(redis)
        breakers = RedisBreakerStore(
            redis,
            BreakerPolicy(
                failure_threshold=settings.breaker_failures, cooldown_s=settings.breaker_cooldown_s
            ),
        )
        catalog = Catalog()
        vault = CredentialVault(
            engine, SecretBox.from_secret_key(settings.secret_key.get_secret_value())
        )
        router = Router(
            catalog,
            providers=[p for p in PROVIDERS if p in registry],
            platform=PlatformCredentials.from_settings(settings, registry.names()),
            secrets=vault,
            health=health,
            breakers=breakers,
            sandbox_mode=settings.sandbox_mode,
        )
        # The platform-wide quota protects RouterAI's own provider accounts; the sandbox
        # has no account to protect.
        quota = None if settings.sandbox_mode else PlatformRateLimiter(redis, wire=wire)
        gate = AttemptGate(breakers=breakers, health=health, platform_quota=quota)
        limits = ExecutionLimits(
            max_attempts=settings.max_attempts,
            attempt_timeout_s=settings.attempt_timeout_s,
            deadline_s=settings.request_deadline_s,
        )
        store = RedisAdmissionStore(redis, wire=wire)
        pipeline = Pipeline(
            resolver=TenantResolver(
                redis, DatabaseTenantLoader(engine), local_ttl_s=settings.tenant_cache_ttl_s
            ),
            router=router,
            admission=SeedingAdmission(store, SpendSeeder(engine, redis, store)),
            executor=Executor(registry, transport, gate=gate, limits=limits),
            recorder=UsageRecorder(redis),
            catalog=catalog,
            metrics=Metrics(),
            cache=SemanticCache(
                redis, MiniLMEmbedder(threads=settings.cache_model_threads), wire=wire
            ),
        )
        watch = ProcessWatch(redis)
        return cls(
            settings, redis, wire, engine, transport, pipeline, health, vault, watch, embedded
        )

    async def start(self) -> None:
        """Background work of a running gateway: hearing of organizations' changes, and
        rediscovering local models."""
        loop = asyncio.get_running_loop()
        await self.processes.refresh()  # /health knows from its first answer
        self._processes = loop.create_task(self.processes.run())
        self._factors = loop.create_task(self.pipeline.factors.run())
        self._listener = loop.create_task(
            listen_for_changes(
                self.redis,
                forget_keys=self.pipeline.resolver.forget_keys,
                forget_org=self.vault.forget,
            )
        )
        if "ollama" in self.pipeline.executor.registry and self.settings.ollama_reachable:
            self._discovery = loop.create_task(self._discover_forever())

    async def _discover_forever(self, every_s: float = 60.0) -> None:
        adapter = self.pipeline.executor.registry.get("ollama")
        assert isinstance(adapter, OllamaAdapter)
        base = self.pipeline.router.catalog
        while True:
            served = await ollama_models(self.transport, adapter)
            if served is not None:
                self.pipeline.router.use_catalog(with_local_models(base, served))
            await asyncio.sleep(every_s)

    async def close(self) -> None:
        for task in (self._discovery, self._listener, self._factors, self._processes):
            if task is not None:
                task.cancel()
        await self.pipeline.drain()
        self.pipeline.offload.close()
        if self.pipeline.cache is not None:
            await self.pipeline.cache.drain()
        await self.health.close()
        await self.transport.close()
        await self.wire.aclose()
        await self.redis.aclose()
        self.engine.dispose()
