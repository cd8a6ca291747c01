"""The OpenAI-compatible endpoints: thin adapters from HTTP to the pipeline and back."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import partial
from types import TracebackType

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Scope

from gateway.api.body import ClientDisconnect, ClientGone, read_body
from gateway.api.responses import error_response, gateway_headers, json_response
from gateway.errors import GatewayError, NotFound, ServiceUnavailable, UnsupportedMediaType
from gateway.pipeline import Pipeline
from gateway.providers.base import ChatResult
from gateway.request import RequestContext
from gateway.routing.selection import AUTO

log = logging.getLogger(__name__)
_JSON_TYPES = ("application/json", "")
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


class GatewayRoutes:
    """Request handlers bound to one pipeline."""

    def __init__(self, pipeline: Pipeline, *, max_body_bytes: int) -> None:
        self.pipeline = pipeline
        self.max_body_bytes = max_body_bytes

    async def chat_completions(self, request: Request) -> Response:
        ctx = await self._context(request, "chat")
        if isinstance(ctx, Response):
            return ctx
        try:
            with _data_stores:
                await self.pipeline.admit_chat(ctx)
                answer = await self.pipeline.answer_chat(ctx)
        except GatewayError as exc:
            return self._failed(ctx, exc)
        if not isinstance(answer, ChatResult):
            return StreamingResponse(
                answer,
                media_type="text/event-stream",
                headers={**gateway_headers(ctx), **_SSE_HEADERS},
            )
        return Response(
            answer.body,
            media_type="application/json",
            headers=gateway_headers(ctx),
            background=_After(partial(self.pipeline.ledger.finish, ctx)),
        )

    async def embeddings(self, request: Request) -> Response:
        ctx = await self._context(request, "embeddings")
        if isinstance(ctx, Response):
            return ctx
        try:
            with _data_stores:
                await self.pipeline.admit_embeddings(ctx)
                result = await self.pipeline.execute_embeddings(ctx)
        except GatewayError as exc:
            return self._failed(ctx, exc)
        return Response(
            result.body,
            media_type="application/json",
            headers=gateway_headers(ctx),
            background=_After(partial(self.pipeline.ledger.finish, ctx)),
        )

    async def list_models(self, request: Request) -> Response:
        ctx = _new_context(request, "models")
        try:
            with _data_stores:
                entries = await self._model_entries(ctx)
        except GatewayError as exc:
            return error_response(exc, ctx)
        return json_response({"object": "list", "data": entries}, ctx)

    async def retrieve_model(self, request: Request) -> Response:
        ctx = _new_context(request, "models")
        wanted = request.path_params["model"]
        try:
            with _data_stores:
                entries = await self._model_entries(ctx)
            for entry in entries:
                if entry["id"] == wanted:
                    return json_response(entry, ctx)
            raise NotFound(
                f"The model '{wanted}' does not exist or your organization does "
                "not have access to it.",
                param="model",
                code="model_not_found",
            )
        except GatewayError as exc:
            return error_response(exc, ctx)

    async def _model_entries(self, ctx: RequestContext) -> list[dict[str, object]]:
        """The models this tenant may call, in OpenAI's model-object shape."""
        tenant = await self.pipeline.authenticate(ctx)
        created = int(time.time())
        entries: list[dict[str, object]] = [
            {"id": AUTO, "object": "model", "created": created, "owned_by": "routerai"}
        ]
        seen = {AUTO}
        for model in self.pipeline.router.available_models(tenant):
            if model.id not in seen:
                seen.add(model.id)
                entries.append(
                    {
                        "id": model.id,
                        "object": "model",
                        "created": created,
                        "owned_by": model.provider,
                    }
                )
        return entries

    async def _context(self, request: Request, endpoint: str) -> RequestContext | Response:
        """Read the body within the size limit (the pipeline parses it once the tenant is
        known); errors become responses."""
        ctx = _new_context(request, endpoint)
        try:
            media = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
            if media not in _JSON_TYPES:
                raise UnsupportedMediaType(
                    f"Unsupported Content-Type {media!r}: send application/json."
                )
            ctx.raw_body = await read_body(
                request, limit=self.max_body_bytes, declared=ctx.headers.get("content-length")
            )
        except GatewayError as exc:
            return error_response(exc, ctx)
        except ClientDisconnect:
            log.warning(
                "%s %s: the client went away before sending its whole body (%s)",
                request.method,
                request.url.path,
                ctx.request_id,
            )
            return ClientGone()
        return ctx

    def _failed(self, ctx: RequestContext, exc: GatewayError) -> Response:
        response = error_response(exc, ctx)
        response.background = _After(partial(self.pipeline.ledger.fail, ctx, exc))
        return response


class _After(BackgroundTask):
    """The pipeline's own coroutine function, run after the response: Starlette's
    `BackgroundTask` without its per-request inspection of what kind of callable it got."""

    def __init__(self, work: Callable[[], Awaitable[None]]) -> None:
        self._work = work

    async def __call__(self) -> None:
        await self._work()


class _DataStores:
    """RouterAI's own Redis or database unreachable: a retryable 503, failing closed.

    A class rather than a generator-based context manager: the hot path enters it on every
    request, and a generator costs several times as much to enter and leave."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, RedisError | SQLAlchemyError):
            raise ServiceUnavailable(
                "RouterAI cannot reach its own data stores right now; please retry in a few "
                "seconds.",
                headers={"retry-after": "2"},
            ) from None


_data_stores = _DataStores()


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


def _new_context(request: Request, endpoint: str) -> RequestContext:
    headers = _header_map(request.scope)
    return RequestContext(
        headers=headers,
        request_id=new_request_id(),
        endpoint=endpoint,
        authorization=headers.get("authorization"),
    )


def _header_map(scope: Scope) -> dict[str, str]:
    """The request's headers as a dict: what Starlette's `Headers.get` answers (the first
    of a repeated header), at a dict's price (its lookups scan the list, and a miss raises)."""
    raw = list(scope["headers"])
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(raw)}
