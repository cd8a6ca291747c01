"""Serve the gateway from the Reflex backend's port, and run its lifespan.

Reflex builds its backend's ASGI app in `rx.App.__call__`: its own Starlette app (server
error middleware, CORS, Reflex's context middleware, a router) around the event
websocket, uploads, in single-port mode the compiled pages, and whatever
`rx.App(api_transformer=...)` returns. A gateway request that went through all of that
resumed through each layer at every await (side by side: 0.25 ms at p50 at one
connection, 7 % of the requests per second saturated). So `gateway_in_front` puts a
dispatcher in front of Reflex's whole app: a request under one of the gateway's
path prefixes (its API namespace, such as /v1/), or that one of its routes claims, goes
to the gateway, with CORS as Reflex's own app would answer it; anything else, the
lifespan included, goes to Reflex. The web app's other HTTP routes (sign-in and
sign-out) stay inside, through `web_transformer`, behind the pages' security headers.

Reflex's Starlette app owns the ASGI lifespan and does not forward it to mounted or
fronted apps, so the gateway's own lifespan (pools, clients) would never run.
`gateway_lifespan` wraps it as a Reflex lifespan task, which runs once per worker
process, after the fork.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send


class GatewayDispatcher:
    """Route a request to the gateway when its path is the gateway's.

    The gateway owns every path under `prefixes` (so an unknown /v1/... path gets
    the gateway's 404, not a web page) and every path one of its routes matches.
    A partial match (right path, wrong method) goes to the gateway too, so it
    answers 405 in its own error format.
    """

    def __init__(
        self,
        gateway: Starlette,
        fallback: ASGIApp,
        prefixes: tuple[str, ...] = (),
        *,
        serve: ASGIApp | None = None,
    ) -> None:
        self._gateway = gateway
        self._serve = serve or gateway  # what answers the gateway's requests
        self._fallback = fallback
        self._prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._serve if self._claims(scope) else self._fallback
        await app(scope, receive, send)

    def _claims(self, scope: Scope) -> bool:
        if scope["type"] not in ("http", "websocket"):
            return False
        if scope["path"].startswith(self._prefixes):
            return True
        return any(route.matches(scope)[0] is not Match.NONE for route in self._gateway.routes)


def gateway_in_front(
    gateway: Starlette, prefixes: tuple[str, ...], reflex: ASGIApp, cors_origins: Sequence[str]
) -> ASGIApp:
    """`reflex` (the app `rx.App.__call__` built) with `gateway` answering its own paths
    before any of Reflex's layers, with the CORS answers Reflex's app gives
    (`cors_origins` from its config: browsers may call the API as before)."""
    with_cors = CORSMiddleware(
        gateway,
        allow_origins=cors_origins,
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    return GatewayDispatcher(gateway, reflex, prefixes, serve=with_cors)


def web_transformer(
    *apps: tuple[Starlette, tuple[str, ...]], web: Callable[[ASGIApp], ASGIApp]
) -> Callable[[ASGIApp], ASGIApp]:
    """An `api_transformer` for `rx.App`: `apps` (app, prefixes) dispatched in order
    before Reflex's own routes (the web app's sign-in and sign-out), and `web` around
    all of it (the pages' security headers)."""

    def transform(reflex_backend: ASGIApp) -> ASGIApp:
        app = reflex_backend
        for other, other_prefixes in reversed(apps):
            app = GatewayDispatcher(other, app, other_prefixes)
        return web(app)

    return transform


def gateway_lifespan(gateway: Starlette) -> Callable[[], AbstractAsyncContextManager[None]]:
    """A Reflex lifespan task that runs `gateway`'s Starlette lifespan.

    Lifespan *state* (a dict yielded by the lifespan) cannot reach requests
    through Reflex's outer app, so it is refused: keep resources on
    `gateway.state` or in the objects `create_app` builds.
    """

    @asynccontextmanager
    async def run_gateway_lifespan() -> AsyncIterator[None]:
        async with gateway.router.lifespan_context(gateway) as state:
            if state:
                raise RuntimeError(
                    "the gateway's lifespan yielded state, which does not reach requests "
                    "when it is mounted in the web app; keep resources on app.state"
                )
            yield

    return run_gateway_lifespan
