"""The ceiling for the gateway benchmark: a pass-through proxy with no logic at all.

Starlette and one shared aiohttp session, as the design's measurements used:
every POST body goes upstream as is and the upstream's answer comes back.
Run: `python -m uvicorn benchmarks.bare_proxy:app` with UPSTREAM set to a base URL.
`http1_app` is the same proxy over the gateway's own upstream client, `upstream_client`
(`benchmarks.transport_ab` compares the two; `benchmarks.minimal_hot_path` uses it too).
"""

from __future__ import annotations

import os

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.providers.http1 import Http1Client

UPSTREAM = os.environ.get("UPSTREAM", "http://127.0.0.1:8900/openai")
_session: list[aiohttp.ClientSession] = []


def _headers(request: Request) -> dict[str, str]:
    return {
        "Authorization": request.headers.get("authorization", ""),
        "Content-Type": "application/json",
    }


async def forward(request: Request) -> Response:
    if not _session:
        _session.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
    async with _session[0].post(
        f"{UPSTREAM}{request.url.path}", data=await request.body(), headers=_headers(request)
    ) as upstream:
        return Response(
            await upstream.read(), status_code=upstream.status, media_type="application/json"
        )


upstream_client = Http1Client(connect_timeout_s=5, read_timeout_s=60)


async def forward_http1(request: Request) -> Response:
    status, body = await upstream_client.request(
        "POST", f"{UPSTREAM}{request.url.path}", _headers(request), await request.body()
    )
    return Response(body, status_code=status, media_type="application/json")


app = Starlette(routes=[Route("/v1/chat/completions", forward, methods=["POST"])])
http1_app = Starlette(routes=[Route("/v1/chat/completions", forward_http1, methods=["POST"])])
