"""The embedders: MiniLM offline with micro-batching, and a provider's model via its API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gateway.cache import MiniLMEmbedder, ProviderEmbedder, SemanticCache
from gateway.cache.embedder import MicroBatcher
from gateway.providers.openai_compat import OpenAICompatible
from gateway.providers.transport import Transport
from gateway.tenancy.context import TenantContext
from tests.cache.conftest import chat, completion


async def test_minilm_gives_unit_vectors_that_rank_meaning(minilm: MiniLMEmbedder) -> None:
    vectors = await minilm.embed(
        ["What is the capital of France?", "Tell me France's capital city.", "How do I bake bread?"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > 0.8 > vectors[0] @ vectors[2]


async def test_concurrent_lookups_share_batches_and_match_single_runs(
    minilm: MiniLMEmbedder,
) -> None:
    texts = [f"question number {i} about caching" for i in range(24)]
    batches: list[int] = []

    def counting(batch: list[str]) -> np.ndarray:
        batches.append(len(batch))
        return minilm.embed_sync(batch)

    with ThreadPoolExecutor(max_workers=1) as executor:
        batcher = MicroBatcher(counting, executor, max_batch=8)
        together = await asyncio.gather(*(batcher.submit(t) for t in texts))
    assert sum(batches) == 24 and len(batches) < 24 and max(batches) <= 8
    alone = minilm.embed_sync([texts[5]])[0]
    np.testing.assert_allclose(together[5], alone, atol=1e-4)


async def test_a_failing_batch_fails_its_waiters_and_the_next_batch_runs() -> None:
    calls = 0

    def flaky(batch: list[str]) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("model crashed")
        return np.ones((len(batch), 2), dtype=np.float32)

    with ThreadPoolExecutor(max_workers=1) as executor:
        batcher = MicroBatcher(flaky, executor)
        with pytest.raises(RuntimeError, match="model crashed"):
            await batcher.submit("a")
        assert (await batcher.submit("b")).tolist() == [1.0, 1.0]


async def test_a_provider_model_embeds_through_the_transport(
    sandbox_url: str,
    async_redis,  # type: ignore[no-untyped-def]
    minilm: MiniLMEmbedder,
    make_tenant: Callable[..., TenantContext],
) -> None:
    transport = Transport(connect_timeout_s=5, read_timeout_s=10)
    try:
        provider = ProviderEmbedder(
            transport=transport,
            adapter=OpenAICompatible("openai", f"{sandbox_url}/openai"),
            model="text-embedding-3-small",
            api_key="sk-tenant-own-key",
        )
        vectors = await provider.embed(["hello", "world"])
        assert vectors.shape == (2, 1536)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)

        # A tenant on its provider's model: its vectors never meet MiniLM's.
        own_model = make_tenant(cache_embedding_model="text-embedding-3-small")
        cache = SemanticCache(
            async_redis, lambda t: provider if t.cache_embedding_model else minilm
        )
        request = cache.prepare(own_model, chat("What is the capital of France?"))
        assert request is not None
        await cache.lookup(request)
        import orjson

        assert await cache.store(request, orjson.dumps(completion("Paris.")), 10)
        again = cache.prepare(own_model, chat("What is the capital of France, please?"))
        assert again is not None
        await cache.lookup(again)
        assert again.embedder_id == "openai:text-embedding-3-small"
        await cache.drain()
    finally:
        await transport.close()
