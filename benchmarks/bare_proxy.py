"""The ceiling for the gateway benchmark: a pass-through proxy with no logic at all.

Starlette and one shared aiohttp session, as the design's measurements used:
every POST body goes upstream as is and the upstream's answer comes back.
Run: `python -m uvicorn benchmarks.bare_proxy:app` with UPSTREAM set to a base URL.
"""

from __future__ import annotations

import os

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

UPSTREAM = os.environ.get("UPSTREAM", "http://127.0.0.1:8900/openai")
_session: list[aiohttp.ClientSession] = []


async def forward(request: Request) -> Response:
    if not _session:
        _session.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
    headers = {
        "Authorization": request.headers.get("authorization", ""),
        "Content-Type": "application/json",
    }
    async with _session[0].post(
        f"{UPSTREAM}{request.url.path}", data=await request.body(), headers=headers
    ) as upstream:
        return Response(
            await upstream.read(), status_code=upstream.status, media_type="application/json"
        )


app = Starlette(routes=[Route("/v1/chat/completions", forward, methods=["POST"])])
