"""create_app(): the composition root of the gateway's HTTP API.

It builds every long-lived part once (Redis client, database engine, upstream
transport, pipeline) and closes them in the app's lifespan. The Reflex web app
mounts the same app, so one port serves pages and `/v1/*`.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.api.bearer import bearer_matches, metrics_refused
from gateway.api.dispatch import GatewayApp
from gateway.api.openapi import openapi_document
from gateway.api.responses import error_response
from gateway.api.routes import GatewayRoutes, new_request_id
from gateway.billing.endpoint import stripe_webhook_endpoint
from gateway.errors import GatewayError, NotFound
from gateway.health import processes
from gateway.metrics import process_lines
from gateway.runtime import Gateway
from gateway.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the gateway's ASGI app for `settings` (read from the environment when None)."""
    settings = settings or load_settings()
    gateway = Gateway.build(settings)
    routes = GatewayRoutes(gateway.pipeline, max_body_bytes=settings.max_body_bytes)
    document = orjson.dumps(openapi_document())

    async def health(request: Request) -> Response:
        """Always 200 while this process serves; "degraded" when a supervised process is
        down or restarting, or RouterAI's Redis does not answer."""
        body: dict[str, object] = {"status": "ok", "sandbox": settings.sandbox_mode}
        if (reported := gateway.processes.reported) is None:
            body.update(status="degraded", redis="unreachable")
        else:
            body.update(processes.report(*reported))
        return JSONResponse(body)

    async def metrics(request: Request) -> Response:
        if not bearer_matches(request.headers.get("authorization"), settings.metrics_token):
            return error_response(metrics_refused())
        text = gateway.pipeline.metrics.render()
        if (reported := gateway.processes.reported) is not None:
            text += process_lines(*reported)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        # What exists now (modules, catalogue, clients) lives as long as the process:
        # frozen, the garbage collector stops walking it on every full collection, whose
        # pauses had more than doubled a saturated gateway's p99 (see ARCHITECTURE.md).
        gc.collect()
        gc.freeze()
        yield
        await gateway.close()
        gc.unfreeze()  # a process that builds apps again (tests) can reclaim this one

    app = GatewayApp(
        direct={
            ("POST", "/v1/chat/completions"): routes.chat_completions,
            ("POST", "/v1/embeddings"): routes.embeddings,
        },
        internal_error=_internal_error,
        routes=[
            Route("/v1/chat/completions", routes.chat_completions, methods=["POST"]),
            Route("/v1/embeddings", routes.embeddings, methods=["POST"]),
            Route("/v1/models", routes.list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", routes.retrieve_model, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route(
                "/webhooks/stripe",
                stripe_webhook_endpoint(settings, gateway.engine, gateway.redis),
                methods=["POST"],
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _unexpected_error},
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error: GatewayError = NotFound(
            f"Unknown path: {request.method} {request.url.path}", code="unknown_url"
        )
    else:
        error = GatewayError(exc.detail or "HTTP error")
        error.status = exc.status_code
        error.type = "invalid_request_error"
        error.code = "method_not_allowed" if exc.status_code == 405 else "http_error"
    return _render(error, exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    return _internal_error()


def _internal_error() -> Response:
    return _render(GatewayError("The gateway had an internal error processing your request."))


def _render(error: GatewayError, headers: Mapping[str, str] | None = None) -> Response:
    headers = {**(headers or {}), "x-request-id": new_request_id()}
    return Response(
        orjson.dumps(error.body()),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )
