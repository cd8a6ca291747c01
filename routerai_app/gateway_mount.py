"""Serve the gateway from the Reflex backend's port, and run its lifespan.

Reflex passes its backend ASGI app (event websocket, uploads, and in single-port
mode the compiled pages) through `rx.App(api_transformer=...)`. Handing Reflex
the gateway's Starlette app directly would mount Reflex *inside* the gateway, so
the gateway's middleware and error handlers would also wrap every page and the
websocket. Instead, `gateway_transformer` puts a dispatcher in front: a request
under one of the gateway's path prefixes (its API namespace, such as /v1/), or
that one of its routes claims, goes to the gateway untouched; anything else goes
to Reflex.

Reflex's outer Starlette app owns the ASGI lifespan and does not forward it to
mounted apps, so the gateway's own lifespan (pools, clients) would never run.
`gateway_lifespan` wraps it as a Reflex lifespan task, which runs once per
worker process, after the fork.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
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
        self, gateway: Starlette, fallback: ASGIApp, prefixes: tuple[str, ...] = ()
    ) -> None:
        self._gateway = gateway
        self._fallback = fallback
        self._prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._gateway if self._claims(scope) else self._fallback
        await app(scope, receive, send)

    def _claims(self, scope: Scope) -> bool:
        if scope["type"] not in ("http", "websocket"):
            return False
        if scope["path"].startswith(self._prefixes):
            return True
        return any(route.matches(scope)[0] is not Match.NONE for route in self._gateway.routes)


def gateway_transformer(
    gateway: Starlette,
    prefixes: tuple[str, ...] = (),
    *more: tuple[Starlette, tuple[str, ...]],
    web: Callable[[ASGIApp], ASGIApp] = lambda app: app,
) -> Callable[[ASGIApp], ASGIApp]:
    """An `api_transformer` for `rx.App` that puts `gateway` in front of Reflex.

    `more` are further (app, prefixes) pairs dispatched the same way, after the
    gateway: the web app's own HTTP routes (sign-in and sign-out). `web` wraps
    everything that is not the gateway's (the pages, the event socket, those routes).
    """

    def transform(reflex_backend: ASGIApp) -> ASGIApp:
        app = reflex_backend
        for other, other_prefixes in reversed(more):
            app = GatewayDispatcher(other, app, other_prefixes)
        return GatewayDispatcher(gateway, web(app), prefixes)

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
