"""Tenants and conversations never receive each other's answers; clearing is per tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from gateway.cache import SemanticCache
from gateway.tenancy.context import TenantContext
from tests.cache.conftest import chat, completion

QUESTION = "How do I reverse a list in Python?"
PARAPHRASE = "How can I reverse a list in Python?"


async def store(
    cache: SemanticCache, tenant: TenantContext, body: dict[str, Any], answer: str
) -> None:
    request = cache.prepare(tenant, body)
    assert request is not None
    await cache.lookup(request)
    assert await cache.store(request, orjson.dumps(completion(answer)), 100)


async def answer(cache: SemanticCache, tenant: TenantContext, body: dict[str, Any]) -> str | None:
    request = cache.prepare(tenant, body)
    assert request is not None
    hit = await cache.lookup(request)
    return None if hit is None else hit.completion["choices"][0]["message"]["content"]


async def test_identical_and_paraphrased_prompts_never_cross_tenants(
    make_cache: Callable[..., SemanticCache], make_tenant: Callable[..., TenantContext]
) -> None:
    first, second = make_cache(), make_cache()  # and two processes, for good measure
    acme, globex = make_tenant(), make_tenant()
    await store(first, acme, chat(QUESTION), "acme's answer")
    for cache in (first, second):
        assert await answer(cache, globex, chat(QUESTION)) is None
        assert await answer(cache, globex, chat(PARAPHRASE)) is None
    await store(second, globex, chat(QUESTION), "globex's answer")
    for cache in (first, second):
        assert await answer(cache, acme, chat(QUESTION)) == "acme's answer"
        assert await answer(cache, acme, chat(PARAPHRASE)) == "acme's answer"
        assert await answer(cache, globex, chat(QUESTION)) == "globex's answer"
        assert await answer(cache, globex, chat(PARAPHRASE)) == "globex's answer"


async def test_clearing_one_tenant_leaves_the_other(
    make_cache: Callable[..., SemanticCache], make_tenant: Callable[..., TenantContext]
) -> None:
    first, second = make_cache(), make_cache()
    acme, globex = make_tenant(), make_tenant()
    await store(first, acme, chat(QUESTION), "acme's answer")
    await store(first, globex, chat(QUESTION), "globex's answer")
    assert await answer(second, globex, chat(PARAPHRASE)) == "globex's answer"  # loaded
    await first.clear(acme.org_id)
    for cache in (first, second):
        assert await answer(cache, acme, chat(QUESTION)) is None
        assert await answer(cache, acme, chat(PARAPHRASE)) is None
        assert await answer(cache, globex, chat(QUESTION)) == "globex's answer"
        assert await answer(cache, globex, chat(PARAPHRASE)) == "globex's answer"
    await first.drain()
    assert (await first.stats(globex.org_id)).entries == 1


async def test_clearing_one_scope_leaves_the_tenants_other_scopes_and_other_tenants(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    acme, globex = make_tenant(), make_tenant()
    short = chat(QUESTION, max_tokens=20)
    await store(cache, acme, chat(QUESTION), "long")
    await store(cache, acme, short, "short")
    await store(cache, globex, short, "globex short")
    scope = cache.prepare(acme, short)
    assert scope is not None
    assert await cache.clear(acme.org_id, scope.keys.scope) == 1
    assert await answer(cache, acme, short) is None
    assert await answer(cache, acme, chat(QUESTION)) == "long"
    assert await answer(cache, globex, short) == "globex short"


async def test_multi_turn_never_receives_an_answer_for_another_earlier_turn(
    cache: SemanticCache, make_tenant: Callable[..., TenantContext]
) -> None:
    tenant = make_tenant()

    def conversation(topic: str, reply: str, last: str) -> dict[str, Any]:
        history = [
            {"role": "system", "content": "You are a travel guide."},
            {"role": "user", "content": f"Tell me about {topic}."},
            {"role": "assistant", "content": reply},
        ]
        return chat(last, history=history)

    paris = conversation("Paris", "Paris is the capital of France.", "How many people live there?")
    rome = conversation("Rome", "Rome is the capital of Italy.", "How many people live there?")
    await store(cache, tenant, paris, "About 2.1 million.")
    assert await answer(cache, tenant, rome) is None  # identical last message, other turn
    rome_paraphrase = conversation(
        "Rome", "Rome is the capital of Italy.", "What is its population?"
    )
    assert await answer(cache, tenant, rome_paraphrase) is None
    paris_paraphrase = conversation(
        "Paris", "Paris is the capital of France.", "How many people live there now?"
    )
    assert await answer(cache, tenant, paris_paraphrase) == "About 2.1 million."
    single_turn = chat("How many people live there?")
    assert await answer(cache, tenant, single_turn) is None
