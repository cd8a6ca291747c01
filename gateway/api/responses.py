"""Response headers and error rendering shared by every gateway route."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from starlette.responses import Response

from gateway.errors import GatewayError

if TYPE_CHECKING:
    from gateway.request import RequestContext


def gateway_headers(ctx: RequestContext) -> dict[str, str]:
    """The headers every answer carries: request id, timing, limits, routing and cost."""
    headers = {
        "x-request-id": ctx.request_id,
        "openai-processing-ms": str(round(ctx.elapsed_ms)),
        "x-routerai-cache": ctx.cache_status,
    }
    if ctx.admitted is not None:
        headers.update(ctx.admitted.headers)
    routing = ctx.routing
    if routing is not None:
        headers["x-routerai-route"] = routing.header_value()
    chosen = ctx.chosen
    if chosen is not None:
        headers["x-routerai-provider"] = chosen.provider
        headers["x-routerai-model"] = chosen.model.id
        if ctx.output_cap is not None and ctx.output_cap < chosen.output_tokens:
            # The budget or tokens per minute left room for less output than asked (or than
            # the model's own limit): the provider was asked for this many tokens per choice.
            headers["x-routerai-max-tokens"] = str(ctx.output_cap)
    if not ctx.stream or ctx.usage is not None:
        headers["x-routerai-cost-usd"] = f"{ctx.cost_micro / 1_000_000:.6f}"
    return headers


def error_response(exc: GatewayError, ctx: RequestContext | None = None) -> Response:
    headers = gateway_headers(ctx) if ctx is not None else {}
    headers.update(exc.headers)
    return Response(
        orjson.dumps(exc.body()),
        status_code=exc.status,
        headers=headers,
        media_type="application/json",
    )


def json_response(data: object, ctx: RequestContext | None = None) -> Response:
    headers = gateway_headers(ctx) if ctx is not None else None
    return Response(orjson.dumps(data), headers=headers, media_type="application/json")
