"""The gateway's long-lived parts in one process, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.budget.redis_store import RedisAdmissionStore
from gateway.db.engine import make_engine
from gateway.embedded_redis import resolve_redis_url
from gateway.execution import ExecutionLimits, Executor
from gateway.metrics import Metrics
from gateway.pipeline import Pipeline
from gateway.pricing.catalog import PROVIDERS, Catalog
from gateway.providers.credentials import PlatformCredentials
from gateway.providers.setup import build_registry
from gateway.providers.transport import Transport
from gateway.routing.selection import ModelSelector
from gateway.settings import Settings
from gateway.tenancy.loader import DatabaseTenantLoader
from gateway.tenancy.resolver import TenantResolver
from gateway.usage import UsageRecorder


@dataclass
class Gateway:
    settings: Settings
    redis: aioredis.Redis
    engine: Engine
    transport: Transport
    pipeline: Pipeline
    embedded_redis: Any = None

    @classmethod
    def build(cls, settings: Settings) -> Gateway:
        redis_url, embedded = resolve_redis_url(settings)
        redis = aioredis.Redis.from_url(redis_url, max_connections=256)
        engine = make_engine(settings.resolved_database_url)
        transport = Transport(
            connect_timeout_s=settings.upstream_connect_timeout_s,
            read_timeout_s=settings.upstream_timeout_s,
        )
        registry = build_registry(settings)
        credentials = PlatformCredentials.from_settings(settings, registry.names())
        catalog = Catalog()
        resolver = TenantResolver(
            redis, DatabaseTenantLoader(engine), local_ttl_s=settings.tenant_cache_ttl_s
        )
        pipeline = Pipeline(
            resolver=resolver,
            selector=ModelSelector(catalog, credentials, [p for p in PROVIDERS if p in registry]),
            admission=RedisAdmissionStore(redis),
            executor=Executor(
                registry,
                transport,
                limits=ExecutionLimits(
                    max_attempts=settings.max_attempts,
                    attempt_timeout_s=settings.attempt_timeout_s,
                    deadline_s=settings.request_deadline_s,
                ),
            ),
            recorder=UsageRecorder(redis),
            catalog=catalog,
            metrics=Metrics(),
        )
        return cls(settings, redis, engine, transport, pipeline, embedded)

    async def close(self) -> None:
        await self.pipeline.drain()
        await self.transport.close()
        await self.redis.aclose()
        self.engine.dispose()
