"""`GatewayApp`: the gateway's Starlette app, with a direct path for its hot endpoints.

Starlette hands each request through its error middleware, exception middleware, router
(a regular expression per route) and endpoint wrapper before the endpoint runs, and every
time a suspended request resumes it passes through all of them again: py-spy put them at
about a tenth of a saturated gateway's CPU. The POST endpoints that carry the traffic (chat
completions, embeddings) are looked up in a dict by (method, path) instead and run
directly, with the same outcome in every case:

- a request that is not an exact (method, path) match (another method, a trailing slash,
  a `root_path`, a websocket, the lifespan) takes the full Starlette stack, so 404, 405
  and every other route behave as before;
- an exception before the response starts is answered with the same OpenAI-shaped 500
  as Starlette's error middleware gives, and re-raised for the server to log; one after
  the start is re-raised as it is;
- the response runs its background task (settle and record) after the body, as before.

The Reflex app mounts this same object, so it gets the direct path too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
ErrorResponse = Callable[[], Response]


class GatewayApp(Starlette):
    """A Starlette app whose `direct` endpoints skip the middleware and router."""

    def __init__(
        self,
        *,
        direct: Mapping[tuple[str, str], Endpoint],
        internal_error: ErrorResponse,
        **starlette: Any,
    ) -> None:
        super().__init__(**starlette)
        self._direct = dict(direct)
        self._internal_error = internal_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http" and not scope.get("root_path"):
            endpoint = self._direct.get((scope["method"], scope["path"]))
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        try:
            response = await endpoint(Request(scope, receive))
        except Exception:
            # Nothing was sent yet. A response sends its start message before anything
            # else, so a failure inside it comes after the start: re-raised as it is.
            await self._internal_error()(scope, receive, send)
            raise
        await response(scope, receive, send)
