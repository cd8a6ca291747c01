"""The cache end to end on Redis: tiers, what is stored, accounting, limits, processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import orjson
import pytest
import redis.asyncio as aioredis

from gateway.cache import MiniLMEmbedder, SemanticCache
from gateway.tenancy.context import TenantContext
from tests.cache.conftest import Clock, chat, completion

pytestmark = pytest.mark.embedded_redis_too

ANSWER = orjson.dumps(completion("Paris."))


async def remember(cache: SemanticCache, tenant: TenantContext, text: str, cost: int = 500) -> None:
    request = cache.prepare(tenant, chat(text))
    assert request is not None
    assert await cache.lookup(request) is None
    assert await cache.store(request, ANSWER, cost)


async def ask(cache: SemanticCache, tenant: TenantContext, text: str, **params):  # type: ignore[no-untyped-def]
    request = cache.prepare(tenant, chat(text, **params))
    assert request is not None
    return request, await cache.lookup(request)


async def test_exact_hit_returns_the_answer_with_its_saved_cost(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    await remember(cache, tenant, "What is the capital of France?", cost=1234)
    request, hit = await ask(cache, tenant, "What is the capital of  France?")
    assert hit is not None and hit.status == "exact" and request.status == "exact"
    assert hit.saved_cost_micro == 1234 and hit.similarity == 1.0
    body = orjson.loads(hit.body)
    assert body["choices"][0]["message"]["content"] == "Paris."
    assert body["id"] != "chatcmpl-upstream"


async def test_semantic_hit_for_a_paraphrase_and_miss_for_a_changed_detail(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    await remember(cache, tenant, "How do I convert a string to an integer in Python?")
    request, hit = await ask(cache, tenant, "How can I convert a string into an integer in Python?")
    assert hit is not None and hit.status == "semantic"
    assert 0.92 <= hit.similarity < 1.0
    request, hit = await ask(cache, tenant, "How do I convert an integer to a string in Python?")
    assert hit is None and request.status == "miss"
    assert request.similarity is not None and request.similarity > 0.95  # close, yet refused


async def test_the_tenant_threshold_applies(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    strict = make_tenant(cache_threshold=0.999)
    await remember(cache, strict, "How do I convert a string to an integer in Python?")
    _, hit = await ask(cache, strict, "How can I convert a string into an integer in Python?")
    assert hit is None


async def test_starter_plans_get_the_exact_tier_only(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant("starter")
    await remember(cache, tenant, "How do I convert a string to an integer in Python?")
    _, exact = await ask(cache, tenant, "How do I convert a string to an integer in Python?")
    _, paraphrase = await ask(
        cache, tenant, "How can I convert a string into an integer in Python?"
    )
    assert exact is not None and paraphrase is None


async def test_free_plans_and_opted_out_requests_bypass(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    assert cache.prepare(make_tenant("free"), chat("hi")) is None
    assert cache.prepare(make_tenant(), chat("hi"), {"cache-control": "no-store"}) is None
    assert not cache.should_cache(
        make_tenant(cache_max_temperature=0.7), chat("hi", temperature=0.9)
    )


async def test_generation_parameters_separate_answers(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    await remember(cache, tenant, "Write a haiku about autumn leaves.")
    _, hit = await ask(cache, tenant, "Write a haiku about autumn leaves.", max_tokens=5)
    assert hit is None


async def test_incomplete_answers_are_not_stored(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    request = cache.prepare(tenant, chat("Tell me a long story"))
    assert request is not None
    cut = orjson.dumps(completion("Once upon", finish_reason="length"))
    assert not await cache.store(request, cut, 10)
    assert not await cache.store(request, b"not json", 10)
    assert await cache.lookup(request) is None


async def test_stats_count_hits_misses_and_money_saved(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    await remember(cache, tenant, "What is the capital of France?", cost=300)  # one miss
    await ask(cache, tenant, "What is the capital of France?")  # exact
    await ask(cache, tenant, "Tell me the capital of France.")  # semantic
    await ask(cache, tenant, "What is the capital of Spain?")  # miss
    await cache.drain()
    stats = await cache.stats(tenant.org_id)
    assert (stats.hits_exact, stats.hits_semantic, stats.misses) == (1, 1, 2)
    assert stats.saved_micro == 600 and stats.hit_rate == 0.5 and stats.entries == 1


async def test_entries_expire_after_the_tenants_ttl(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext], clock: Clock
) -> None:
    tenant = make_tenant(cache_ttl_s=60)
    await remember(cache, tenant, "What is the capital of France?")
    clock.now += 61
    _, exact = await ask(cache, tenant, "What is the capital of France?")
    _, semantic = await ask(cache, tenant, "Tell me the capital of France.")
    assert exact is None and semantic is None


@pytest.mark.parametrize(
    "again",
    ["How do I reverse a list in Python?", "How can I reverse a list in Python?"],
    ids=["exact-hit", "semantic-hit"],
)
async def test_each_tenant_is_capped_least_recently_used_first(
    make_cache: Callable[..., SemanticCache],
    make_tenant: Callable[..., TenantContext],
    clock: Clock,
    again: str,
) -> None:
    cache = make_cache(max_entries_per_org=2)
    tenant = make_tenant()
    await remember(cache, tenant, "How do I reverse a list in Python?")
    clock.now += 1
    await remember(cache, tenant, "What is the capital of France?")
    clock.now += 1
    _, hit = await ask(cache, tenant, again)  # a hit of either tier: now the most recent
    assert hit is not None
    await cache.drain()
    clock.now += 1
    await remember(cache, tenant, "Write a haiku about autumn leaves.")
    assert (await ask(cache, tenant, "How do I reverse a list in Python?"))[1] is not None
    assert (await ask(cache, tenant, "What is the capital of France?"))[1] is None
    assert (await ask(cache, tenant, "Write a haiku about autumn leaves."))[1] is not None
    assert (await cache.stats(tenant.org_id)).entries == 2


async def test_processes_stay_in_step_through_the_log(
    make_cache: Callable[..., SemanticCache], make_tenant: Callable[..., TenantContext]
) -> None:
    first, second = make_cache(), make_cache()  # two gateway processes
    tenant = make_tenant()
    await remember(first, tenant, "How do I reverse a list in Python?")
    _, hit = await ask(second, tenant, "How can I reverse a list in Python?")
    assert hit is not None and hit.status == "semantic"  # second loaded the scope
    await remember(first, tenant, "How do I center a div with CSS?")
    _, hit = await ask(second, tenant, "How can I center a div using CSS?")
    assert hit is not None  # second learned of the new entry from the log
    await first.clear(tenant.org_id)
    _, hit = await ask(second, tenant, "How can I center a div using CSS?")
    assert hit is None


async def test_a_process_that_fell_behind_the_trimmed_log_reloads(
    make_cache: Callable[..., SemanticCache], make_tenant: Callable[..., TenantContext]
) -> None:
    first, second = make_cache(log_maxlen=2), make_cache(log_maxlen=2)
    tenant = make_tenant()
    await remember(first, tenant, "How do I reverse a list in Python?")
    assert (await ask(second, tenant, "How can I reverse a list in Python?"))[1] is not None
    await remember(first, tenant, "How do I center a div with CSS?")
    for i in range(300):  # far past the log's length: the event above is trimmed away
        request = first.prepare(tenant, chat(f"filler question number {i}"))
        assert request is not None
        await first.store(request, ANSWER, 1)
    _, hit = await ask(second, tenant, "How can I center a div using CSS?")
    assert hit is not None


async def test_semantic_lookups_embed_only_when_there_is_something_to_compare(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    request, hit = await ask(cache, tenant, "A question in an empty scope")
    assert hit is None and request.vector is None  # no embedding on this miss
    assert await cache.store(request, ANSWER, 1)  # the store embeds it
    request, hit = await ask(cache, tenant, "A question in an empty scope")
    assert hit is not None and hit.status == "exact" and request.vector is None


async def test_scopes_are_listed_and_cleared_one_at_a_time(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()
    await remember(cache, tenant, "Hello")
    request = cache.prepare(tenant, chat("Hello", max_tokens=50))
    assert request is not None
    await cache.store(request, ANSWER, 1)
    scopes = await cache.scopes(tenant.org_id)
    assert sorted(s.entries for s in scopes) == [1, 1]
    assert all(s.label["model"] == "gpt-4o-mini" for s in scopes)
    assert await cache.clear(tenant.org_id, request.keys.scope) == 1
    assert (await ask(cache, tenant, "Hello"))[1] is not None
    assert (await ask(cache, tenant, "Hello", max_tokens=50))[1] is None


class CountingEmbedder:
    """MiniLM, counting the texts it embeds."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.id = inner.id
        self.texts: list[str] = []

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return await self.inner.embed(texts)


async def test_a_tenants_repeated_text_is_embedded_once(
    async_redis: aioredis.Redis, minilm: MiniLMEmbedder, make_tenant: Callable[..., TenantContext]
) -> None:
    counting = CountingEmbedder(minilm)
    cache = SemanticCache(async_redis, counting)
    acme, globex = make_tenant(), make_tenant()
    for tenant in (acme, globex):
        await remember(cache, tenant, "How do I reverse a list in Python?")
    for tenant in (acme, acme, globex):
        _, hit = await ask(cache, tenant, "How can I reverse a list in Python?")
        assert hit is not None and hit.status == "semantic"
    await cache.drain()
    # Each tenant's store embedded its prompt; the paraphrase once per tenant, not per ask.
    assert counting.texts.count("How can I reverse a list in Python?") == 2
