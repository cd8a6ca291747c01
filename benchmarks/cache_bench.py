"""What the cache stage costs and how fast it serves, measured in one gateway process.

    python -m benchmarks.cache_bench [--redis redis://127.0.0.1:6379/5] [--threads 1]
                                     [--seconds 5] [--large 100000] [--only-http [--memo N]]

Uses (and flushes) the Redis database given, default 5. Reports, with p50/p99:

1. latency added by the cache stage (prepare + lookup), one request at a time:
   miss (exact-only plan), miss (semantic, empty scope: no embedding), miss (semantic,
   scope with entries: embedding + search + verification), exact hit, semantic hit;
2. lookups/s and latency of one process under 1, 8 and 32 concurrent requests, for
   semantic hits (every one embeds its paraphrase: the embedding memo is off), semantic
   hits of paraphrases the tenant sent before (memo on) and exact hits;
3. the index at 10k and 100k entries in one tenant's scope: exact top-k search time, the
   scope's load from Redis, and a semantic hit end to end in that scope;
4. over HTTP (uvicorn, one process, `benchmarks.cache_app`, wrk): semantic and exact hits
   served end to end at 1 and 32 connections, memo off and on (skipped without wrk).

Prompts come from the labelled set in tests/cache/data/semantic_pairs.tsv.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import redis.asyncio as aioredis

from benchmarks.cache_app import ANSWER
from benchmarks.harness import UVICORN, parse_wrk, server
from gateway.cache import CacheConfig, MiniLMEmbedder, SemanticCache
from gateway.cache.index import pack_member
from gateway.tenancy.context import TenantContext

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "tests" / "cache" / "data" / "semantic_pairs.tsv"


def tenant(number: int, plan: str = "growth") -> TenantContext:
    return TenantContext(
        org_id=f"bench-org-{number}",
        org_slug=f"bench{number}",
        key_id="k",
        key_prefix="gw",
        environment="prod",
        plan=plan,
    )


def body(text: str) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "temperature": 0,
        "messages": [{"role": "user", "content": text}],
    }


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
        "n": len(ms),
    }


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    samples = []
    for call in calls:
        began = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - began)
    return samples


def lookup_call(
    cache: SemanticCache, who: TenantContext, text: str, expect: str | None
) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        request = cache.prepare(who, body(text))
        assert request is not None
        hit = await cache.lookup(request)
        status = hit.status if hit else None
        if status != expect:
            raise AssertionError(f"{text!r}: expected {expect}, got {status}")

    return call


async def store(cache: SemanticCache, who: TenantContext, text: str) -> None:
    request = cache.prepare(who, body(text))
    assert request is not None
    await cache.lookup(request)
    await cache.store(request, ANSWER, 1000)


def labelled_pairs() -> list[tuple[str, str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(k, a, b) for k, a, b, _ in rows[1:]]


async def semantic_hits(cache: SemanticCache, who: TenantContext) -> list[str]:
    """Store the paraphrase set's prompts; return the queries the cache serves semantically."""
    pairs = [p for p in labelled_pairs() if p[0] == "paraphrase"]
    for _, stored, _ in pairs:
        await store(cache, who, stored)
    served = []
    for _, _, query in pairs:
        request = cache.prepare(who, body(query))
        assert request is not None
        hit = await cache.lookup(request)
        if hit is not None and hit.status == "semantic":
            served.append(query)
    return served


async def sequential(cache: SemanticCache, rounds: int) -> dict[str, Any]:
    growth, starter, empty = tenant(1), tenant(2, "starter"), tenant(3)
    queries = await semantic_hits(cache, growth)
    misses = [b for k, _, b in labelled_pairs() if k in ("unrelated", "different")]
    await store(cache, starter, "What is the capital of France?")
    exact = "How do I reverse a list in Python?"

    def cycle(texts: list[str]) -> list[str]:
        return [texts[i % len(texts)] for i in range(rounds)]

    cases = {
        "miss_exact_only_plan": [
            lookup_call(cache, starter, f"never asked {i}", None) for i in range(rounds)
        ],
        "miss_semantic_empty_scope": [
            lookup_call(cache, empty, f"never asked {i}", None) for i in range(rounds)
        ],
        "miss_semantic_with_embedding": [
            lookup_call(cache, growth, f"{t} ({i})", None) for i, t in enumerate(cycle(misses))
        ],
        "hit_exact": [lookup_call(cache, growth, exact, "exact") for _ in range(rounds)],
        "hit_semantic": [lookup_call(cache, growth, q, "semantic") for q in cycle(queries)],
    }
    results = {}
    for name, calls in cases.items():
        await timed(calls[:20])  # warm up
        results[name] = summary(await timed(calls))
        await cache.drain()
    return {"semantic_queries": len(queries), **results}


async def concurrent(
    cache: SemanticCache,
    who: TenantContext,
    texts: list[str],
    status: str,
    workers: int,
    seconds: float,
) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            await lookup_call(cache, who, texts[i % len(texts)], status)()
            latencies.append(time.perf_counter() - began)
            i += workers

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    elapsed = time.perf_counter() - began
    await cache.drain()
    return {"lookups_per_s": round(len(latencies) / elapsed, 1), **summary(latencies)}


async def large_scope(
    cache: SemanticCache, redis: aioredis.Redis, embedder: MiniLMEmbedder, size: int
) -> dict[str, Any]:
    """Fill one scope with `size` entries (random vectors plus real prompts) and measure."""
    who = tenant(100 + size)
    pairs = [p for p in labelled_pairs() if p[0] == "paraphrase"]
    real = embedder.embed_sync([p[1] for p in pairs])
    request = cache.prepare(who, body("seed"))
    assert request is not None
    scope = request.keys.scope
    now_ms = int(time.time() * 1000)
    rng = np.random.default_rng(7)
    store_ = cache.store_
    began = time.perf_counter()
    batch = 2000
    for start in range(0, size, batch):
        vectors = rng.standard_normal((min(batch, size - start), embedder.dim), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        writes = []
        for offset, vector in enumerate(vectors):
            n = start + offset
            text = pairs[n][1] if n < len(pairs) else f"synthetic prompt {n}"
            vector = real[n] if n < len(pairs) else vector
            exact = cache.prepare(who, body(text))
            assert exact is not None
            writes.append(
                store_.put(
                    who.org_id,
                    scope=scope,
                    exact=exact.keys.exact,
                    body=ANSWER,
                    cost_micro=1000,
                    now_ms=now_ms,
                    ttl_ms=3_600_000,
                    member=pack_member(embedder.id, now_ms + 3_600_000, vector, text),
                    label={"model": "gpt-4o-mini"},
                )
            )
        for chunk in range(0, len(writes), 100):
            await asyncio.gather(*writes[chunk : chunk + 100])
    fill_s = time.perf_counter() - began

    began = time.perf_counter()
    index = await cache._index(who.org_id, scope, embedder)
    load_s = time.perf_counter() - began
    query = embedder.embed_sync([pairs[0][2]])[0]
    search = [0.0] * 200
    for i in range(len(search)):
        t = time.perf_counter()
        index.search(query, now_ms, cache.config.candidates)
        search[i] = time.perf_counter() - t
    hits = await timed([lookup_call(cache, who, pairs[0][2], "semantic") for _ in range(100)])
    await cache.drain()
    return {
        "entries": len(index),
        "fill_s": round(fill_s, 1),
        "load_from_redis_s": round(load_s, 3),
        "search": summary(search),
        "semantic_hit_end_to_end": summary(hits),
    }


ROTATING_SCRIPT = """
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/chat/completions",
    {["Content-Type"] = "application/json"}, bodies[(i %% #bodies) + 1])
end
"""


def wrk_rotating(url: str, bodies: list[str], connections: int, seconds: int) -> dict[str, Any]:
    """wrk with one thread and `connections` connections, cycling through `bodies`."""
    listed = ", ".join(f"[[{b}]]" for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(ROTATING_SCRIPT % listed)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name]
    output = subprocess.run(
        [*command, url + "/v1/chat/completions"], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(script.name)
    result = parse_wrk(output)
    return {
        "requests_per_s": result.requests_per_s,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "errors": result.errors,
    }


def http(args: argparse.Namespace, memo: int = 0) -> dict[str, Any]:
    """Semantic and exact hits through uvicorn + the cache, measured with wrk."""
    import httpx
    import redis as sync_redis

    env = {
        "CACHE_BENCH_REDIS": args.redis,
        "CACHE_BENCH_THREADS": str(args.threads),
        "CACHE_BENCH_MEMO": str(memo),
    }
    command = [*UVICORN, "--factory", "benchmarks.cache_app:create_app"]
    pairs = [p for p in labelled_pairs() if p[0] == "paraphrase"]
    results: dict[str, Any] = {}
    with server(command, env=env) as (url, _):
        for _, stored, _ in pairs:
            httpx.post(url + "/v1/chat/completions", json=body(stored), timeout=10)
        served = []
        for _, _, query in pairs:
            reply = httpx.post(url + "/v1/chat/completions", json=body(query), timeout=10)
            if reply.headers.get("x-routerai-cache") == "semantic":
                served.append(json.dumps(body(query)))
        exact = [json.dumps(body(pairs[0][1]))]
        stats_key = "gw:cache:{bench-http}:stats"
        client = sync_redis.Redis.from_url(args.redis)
        for connections in (1, 32):
            before = int(client.hget(stats_key, "semantic") or 0)
            semantic = wrk_rotating(url, served, connections, int(args.seconds))
            semantic["semantic_hits"] = int(client.hget(stats_key, "semantic") or 0) - before
            exact_hits = wrk_rotating(url, exact, connections, int(args.seconds))
            results[connections] = {"semantic_hit": semantic, "exact_hit": exact_hits}
            print("http", memo, connections, json.dumps(results[connections]))
        client.close()
    return results


async def main(args: argparse.Namespace) -> dict[str, Any]:
    redis = aioredis.Redis.from_url(args.redis, max_connections=256)
    await redis.flushdb()
    embedder = MiniLMEmbedder(threads=args.threads).load()
    # Without the embedding memo every semantic lookup embeds: the worst case, measured.
    config = CacheConfig(max_entries_per_org=max(200_000, args.large + 1000), embedding_memo=0)
    cache = SemanticCache(redis, embedder, config=config)
    results: dict[str, Any] = {"threads": args.threads, "cpus": os.cpu_count()}
    try:
        results["sequential"] = await sequential(cache, args.rounds)
        print(json.dumps(results["sequential"], indent=2))
        growth = tenant(1)
        queries = await semantic_hits(cache, growth)
        exact = ["How do I reverse a list in Python?"]
        memo = SemanticCache(redis, embedder, config=CacheConfig(embedding_memo=20_000))
        results["concurrent"] = {}
        for workers in (1, 8, 32):
            semantic = await concurrent(cache, growth, queries, "semantic", workers, args.seconds)
            repeated = await concurrent(memo, growth, queries, "semantic", workers, args.seconds)
            exact_hits = await concurrent(cache, growth, exact, "exact", workers, args.seconds)
            results["concurrent"][workers] = {
                "semantic_hit": semantic,
                "semantic_hit_repeated_text_with_memo": repeated,
                "exact_hit": exact_hits,
            }
            print(workers, json.dumps(results["concurrent"][workers]))
        results["large"] = {}
        for size in sorted({10_000, args.large}):
            results["large"][size] = await large_scope(cache, redis, embedder, size)
            print(size, json.dumps(results["large"][size]))
        await redis.flushdb()
        embedder.close()
        if shutil.which("wrk"):
            results["http"] = http(args)
            await redis.flushdb()
            results["http_with_embedding_memo"] = http(args, memo=20_000)
    finally:
        await redis.flushdb()
        await redis.aclose()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--only-http", action="store_true", help="run part 4 alone")
    parser.add_argument(
        "--memo", type=int, default=0, help="with --only-http: the embedding memo's size"
    )
    arguments = parser.parse_args()
    if arguments.only_http:
        outcome = http(arguments, memo=arguments.memo)
    else:
        outcome = asyncio.run(main(arguments))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"cache_bench-{stamp}.json").write_text(json.dumps(outcome, indent=2) + "\n")
