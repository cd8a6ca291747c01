"""The floor for the gateway benchmark: the issue's minimal hot path, without the product.

What the design's throwaway prototype did, and nothing else: the key looked up in a dict,
one Redis script call to check both limits and reserve the budget, the upstream call, one
script call to settle and append the usage record (after the response), orjson. It uses the
gateway's own parts for each (its admit and settle scripts over its pipelined Redis
connection, its upstream client; the prototype's upstream was aiohttp), and none of its
stages: no validation, tokenizer, routing, fallback, cache, metrics or tenant resolution.
The gateway's figures against these say what those stages cost.

Run: `python -m uvicorn benchmarks.minimal_hot_path:app` with UPSTREAM (a base URL),
REDIS_URL and BENCH_KEY (the one key it accepts) set.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid

import orjson
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.bare_proxy import UPSTREAM, upstream_client
from gateway.budget.factors import FACTORS_KEY
from gateway.budget.redis_store import budget_key, key_scope_key, org_scope_key
from gateway.budget.scripts import ADMIT_SCRIPT, SETTLE_SCRIPT
from gateway.pipelined_redis import PipelinedRedis

_redis = aioredis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"))
_wire = PipelinedRedis.like(_redis)
_admit = _redis.register_script(ADMIT_SCRIPT)
_settle = _redis.register_script(SETTLE_SCRIPT)
_orgs = {hashlib.sha256(os.environ.get("BENCH_KEY", "").encode()).hexdigest(): "floor"}
_KEYS = (org_scope_key("floor"), key_scope_key("floor", "k"), budget_key("floor", "p"))
_PRICE_IN, _PRICE_OUT = 0.15, 0.60  # micro-USD per token (gpt-4o-mini)
_LIMIT = 2_000_000_000


async def chat(request: Request) -> Response:
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    if hashlib.sha256(key.encode()).hexdigest() not in _orgs:
        return Response(b'{"error":{"code":"invalid_api_key"}}', status_code=401)
    raw = await request.body()
    body = orjson.loads(raw)
    tokens = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4 + int(
        body.get("max_tokens") or 16
    )
    cost = int(tokens * _PRICE_OUT)
    admitted = await _wire.run_script(
        _admit,
        _KEYS,
        (int(time.time() * 1000), tokens, cost, _LIMIT, _LIMIT, -1, -1, -1, -1, 3600, 0, 0),
    )
    if not admitted[0]:
        return Response(b'{"error":{"code":"rate_limit_exceeded"}}', status_code=429)
    headers = {"Authorization": "Bearer sk-floor", "Content-Type": "application/json"}
    url = f"{UPSTREAM}/v1/chat/completions"
    _, answer = await upstream_client.request("POST", url, headers, raw)
    usage = orjson.loads(answer)["usage"]
    actual = int(usage["prompt_tokens"] * _PRICE_IN + usage["completion_tokens"] * _PRICE_OUT)
    request_id = uuid.uuid4().hex
    record = ("request_id", request_id, "tokens", usage["total_tokens"], "cost", actual)
    total = usage["total_tokens"]
    # bucket, counted, reserved, actual; cost reserved, actual; no key scope; TTL; no factor
    settle_args = (admitted[3], tokens, tokens, total, cost, actual, 0, 3600, "", 0, 0, *record)
    return Response(
        answer,
        media_type="application/json",
        headers={"x-request-id": request_id, "x-routerai-cost-usd": f"{actual / 1e6:.6f}"},
        background=BackgroundTask(
            _wire.run_script, _settle, (*_KEYS, FACTORS_KEY, "gw:floor:usage"), settle_args
        ),
    )


app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
