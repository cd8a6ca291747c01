"""Cached answers through the OpenAI SDK: JSON and SSE replays of exact and semantic hits.

A minimal app stands in for the pipeline: cache lookup, else a fixed "upstream" answer
that is stored (after streaming it, for stream requests); hits are replayed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import openai
import orjson
import pytest
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gateway.cache import CacheHit, MiniLMEmbedder, SemanticCache, StreamAssembler
from gateway.cache.replay import DONE_FRAME, sse_frames
from gateway.tenancy.context import TenantContext
from tests.cache.conftest import completion
from tests.fixtures.openai_spec import validate
from tests.fixtures.servers import serve_in_thread

ANSWER = "Use slicing: items[::-1] returns a reversed copy, and items.reverse() works in place."


def cache_app(redis_url: str, embedder: MiniLMEmbedder, tenant: TenantContext) -> Starlette:
    parts: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = aioredis.Redis.from_url(redis_url)
        parts["cache"] = SemanticCache(redis, embedder)
        yield
        await parts["cache"].drain()
        await redis.aclose()

    async def chat_completions(request: Request) -> Response:
        cache: SemanticCache = parts["cache"]
        body = orjson.loads(await request.body())
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        prepared = cache.prepare(tenant, body, request.headers)
        hit = await cache.lookup(prepared) if prepared is not None else None
        if hit is not None:
            headers = {"x-routerai-cache": hit.status}
            if body.get("stream"):
                frames = cache.replay_stream(hit, include_usage)
                return StreamingResponse(frames, media_type="text/event-stream", headers=headers)
            return Response(hit.body, media_type="application/json", headers=headers)
        answer = completion(ANSWER)
        if not body.get("stream"):
            if prepared is not None:
                await cache.store(prepared, orjson.dumps(answer), 250)
            return Response(orjson.dumps(answer), media_type="application/json")

        async def upstream_stream() -> AsyncIterator[bytes]:
            assembler = StreamAssembler()
            for frame in sse_frames(answer, include_usage=include_usage):
                assembler.feed(frame[len(b"data: ") : -2])
                yield frame
            stored = assembler.completion(usage=answer["usage"])
            if prepared is not None and stored is not None:
                await cache.store(prepared, stored, 250)
            yield DONE_FRAME

        return StreamingResponse(upstream_stream(), media_type="text/event-stream")

    return Starlette(
        routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"])],
        lifespan=lifespan,
    )


@pytest.fixture
def client(
    redis_url: str, minilm: MiniLMEmbedder, make_tenant: Callable[..., TenantContext]
) -> Iterator[openai.OpenAI]:
    with serve_in_thread(cache_app(redis_url, minilm, make_tenant())) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="gw_test", max_retries=0)


def ask(client: openai.OpenAI, text: str, **params: Any) -> Any:
    messages = [{"role": "user", "content": text}]
    return client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=messages, temperature=0, **params
    )


def read_stream(client: openai.OpenAI, text: str, include_usage: bool) -> tuple[str, list[Any]]:
    raw = ask(client, text, stream=True, stream_options={"include_usage": include_usage})
    chunks = list(raw.parse())
    return raw.headers.get("x-routerai-cache", "miss"), chunks


def test_a_stored_answer_is_replayed_as_a_proper_stream(client: openai.OpenAI) -> None:
    first = ask(client, "How do I reverse a list in Python?")
    assert first.headers.get("x-routerai-cache") is None and first.parse().choices
    for text, status in (
        ("How do I reverse a list in Python?", "exact"),
        ("How can I reverse a list in Python?", "semantic"),
    ):
        cache_status, chunks = read_stream(client, text, include_usage=True)
        assert cache_status == status
        for chunk in chunks:
            validate("CreateChatCompletionStreamResponse", chunk.model_dump(exclude_unset=True))
        content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert content == ANSWER
        assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
        finished = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finished[-1] == "stop" and finished.count("stop") == 1
        assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 19


def test_usage_chunk_only_when_asked(client: openai.OpenAI) -> None:
    ask(client, "How do I reverse a list in Python?")
    _, chunks = read_stream(client, "How do I reverse a list in Python?", include_usage=False)
    assert all(c.usage is None for c in chunks)


def test_a_streamed_miss_is_stored_once_it_completes(client: openai.OpenAI) -> None:
    status, chunks = read_stream(client, "What does the yield keyword do?", include_usage=False)
    assert status == "miss" and chunks
    hit = ask(client, "What does the yield keyword do?")
    assert hit.headers["x-routerai-cache"] == "exact"
    body = hit.parse()
    validate("CreateChatCompletionResponse", orjson.loads(hit.http_response.content))
    assert body.choices[0].message.content == ANSWER


def test_a_hit_parses_as_a_chat_completion(client: openai.OpenAI) -> None:
    ask(client, "How do I reverse a list in Python?")
    raw = ask(client, "How can I reverse a list in Python?")
    assert raw.headers["x-routerai-cache"] == "semantic"
    validate("CreateChatCompletionResponse", orjson.loads(raw.http_response.content))


def test_the_hit_type_carries_the_record_fields() -> None:
    hit = CacheHit(completion("x"), "semantic", 0.95, 250)
    assert orjson.loads(hit.body)["choices"][0]["message"]["content"] == "x"
