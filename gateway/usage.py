"""Stage 7's record: one flat usage record per request, appended to the Redis usage stream.

The gateway never waits on the database: admitted requests append their record
in the same round trip that settles their reservation (see the admission
store); requests refused before admission append it here. Workers ingest the
stream into `request_logs` (workers.ingest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
import redis.asyncio as aioredis

if TYPE_CHECKING:
    from gateway.request import RequestContext

USAGE_STREAM = "gw:usage"

Record = dict[str, str | int]


def usage_record(ctx: RequestContext) -> Record:
    """The request as the usage stream carries it: strings and integers only."""
    tenant = ctx.tenant
    assert tenant is not None
    usage = ctx.usage
    chosen = ctx.chosen
    return {
        "request_id": ctx.request_id,
        "created_at_ms": int(ctx.created_at * 1000),
        "org_id": tenant.org_id,
        "key_id": tenant.key_id,
        "endpoint": ctx.endpoint,
        "provider": chosen.provider if chosen else "",
        "model_requested": ctx.model_requested[:200],
        "model_used": chosen.model.id if chosen else "",
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "cost_micro": ctx.cost_micro,
        "baseline_micro": ctx.baseline_micro,
        "latency_ms": round(ctx.elapsed_ms),
        "ttfb_ms": round(ctx.ttfb_ms) if ctx.ttfb_ms is not None else "",
        "status": ctx.status,
        "error_type": ctx.error_type or "",
        "cache_status": ctx.cache_status,
        "cache_similarity": "" if ctx.cache_similarity is None else f"{ctx.cache_similarity:.4f}",
        "streamed": int(ctx.stream),
        "routing": routing_json(ctx),
    }


def routing_json(ctx: RequestContext) -> str:
    """The routing decision as it turned out, with the candidates that failed or were skipped."""
    routing = ctx.routing
    if routing is None:
        return ""
    details = routing.as_dict()
    if ctx.chosen is not None:  # metering tells the tenant's own keys from the platform's
        details["source"] = ctx.chosen.credential_source.value
    if ctx.attempts.failed:
        details["fallbacks"] = [{"candidate": c, "error": e} for c, e in ctx.attempts.failed]
    if ctx.attempts.skipped:
        details["skipped"] = list(ctx.attempts.skipped)
    return orjson.dumps(details).decode()


class UsageRecorder:
    """Appends records of requests that were never admitted (auth passed, then refused)."""

    def __init__(self, redis: aioredis.Redis, stream_key: str = USAGE_STREAM) -> None:
        self._redis = redis
        self._stream_key = stream_key

    async def append(self, record: Record) -> None:
        await self._redis.xadd(self._stream_key, record)  # type: ignore[arg-type]
