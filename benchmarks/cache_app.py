"""A one-route app for the cache's HTTP benchmark: the cache stage alone behind uvicorn.

`POST /v1/chat/completions` prepares and looks up the request for one Growth tenant; a
hit is served (JSON, or an SSE replay for stream requests), a miss gets a fixed answer
from a zero-latency stand-in for the provider, which is then stored. Configured through
the environment: CACHE_BENCH_REDIS (default redis://127.0.0.1:6379/5),
CACHE_BENCH_THREADS (onnxruntime threads, default 1) and CACHE_BENCH_MEMO (the embedding
memo's size, default 0: every semantic lookup embeds).

    uvicorn benchmarks.cache_app:create_app --factory
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gateway.cache import CacheConfig, MiniLMEmbedder, SemanticCache
from gateway.tenancy.context import TenantContext

TENANT = TenantContext(
    org_id="bench-http",
    org_slug="bench",
    key_id="k",
    key_prefix="gw",
    environment="prod",
    plan="growth",
)
ANSWER = orjson.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "A cached answer.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
    }
)


def create_app() -> Starlette:
    parts: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        url = os.environ.get("CACHE_BENCH_REDIS", "redis://127.0.0.1:6379/5")
        redis = aioredis.Redis.from_url(url, max_connections=256)
        embedder = MiniLMEmbedder(threads=int(os.environ.get("CACHE_BENCH_THREADS", "1")))
        memo = int(os.environ.get("CACHE_BENCH_MEMO", "0"))
        config = CacheConfig(embedding_memo=memo)
        parts["cache"] = SemanticCache(redis, embedder.load(), config=config)
        yield
        await parts["cache"].drain()
        await redis.aclose()
        embedder.close()

    async def chat(request: Request) -> Response:
        cache: SemanticCache = parts["cache"]
        body = orjson.loads(await request.body())
        prepared = cache.prepare(TENANT, body, request.headers)
        hit = await cache.lookup(prepared) if prepared is not None else None
        if hit is None:
            if prepared is not None:
                await cache.store(prepared, ANSWER, 1000)
            return Response(ANSWER, media_type="application/json")
        headers = {"x-routerai-cache": hit.status}
        if body.get("stream"):
            frames = cache.replay_stream(hit, include_usage=True)
            return StreamingResponse(frames, media_type="text/event-stream", headers=headers)
        return Response(hit.body, media_type="application/json", headers=headers)

    async def health(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
