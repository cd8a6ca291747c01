"""The Anthropic endpoints: messages (JSON and SSE), token counting and models."""

from __future__ import annotations

import secrets
from dataclasses import replace

import orjson
from starlette.datastructures import Headers
from starlette.routing import Route

from gateway.sandbox.anthropic_protocol import (
    count_input_tokens,
    message_body,
    message_events,
    parse_messages,
)
from gateway.sandbox.endpoint import Call, Handler, SandboxState, endpoint
from gateway.sandbox.errors import ANTHROPIC, SandboxError
from gateway.sandbox.generation import generate
from gateway.sandbox.wire import WireResponse

_CREATED_AT = "2025-05-14T00:00:00Z"


def check_credentials(headers: Headers) -> None:
    """Accept `x-api-key` or `Authorization: Bearer`; require `anthropic-version`."""
    key = headers.get("x-api-key", "").strip()
    if not key:
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        key = bearer.strip() if scheme.lower() == "bearer" else ""
    if not key:
        raise SandboxError(401, "x-api-key header is required")
    if "invalid" in key.lower():
        raise SandboxError(401, "invalid x-api-key")
    if not headers.get("anthropic-version"):
        raise SandboxError(400, "anthropic-version: header is required")


def messages(call: Call) -> WireResponse:
    """POST /v1/messages."""
    request = parse_messages(call.body, call.models)
    request = replace(request, input_tokens=call.fault.prompt(request.input_tokens))
    gen = generate(request.generation)
    message_id = "msg_01" + secrets.token_hex(11)
    if request.stream:
        return call.stream_reply(message_events(request, gen, message_id))
    body = message_body(request, gen, message_id)
    return call.whole_reply(body, call.whole_timing(gen.token_count))


def count_tokens(call: Call) -> WireResponse:
    """POST /v1/messages/count_tokens."""
    body = call.body
    messages_list = body.get("messages")
    if not isinstance(messages_list, list) or not messages_list:
        raise SandboxError(400, "messages: Field required")
    tokens = call.fault.prompt(count_input_tokens(body, messages_list))
    return call.whole_reply(orjson.dumps({"input_tokens": tokens}), call.metadata_timing())


def list_models(call: Call) -> WireResponse:
    """GET /v1/models."""
    data = [
        {
            "type": "model",
            "id": m.id,
            "display_name": m.id.replace("-", " ").title(),
            "created_at": _CREATED_AT,
            "lifecycle": "active",
            "max_input_tokens": m.context_window,
            "max_tokens": m.max_output_tokens,
        }
        for m in call.models.of_provider("anthropic")
    ]
    page = {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
    return call.whole_reply(orjson.dumps(page), call.metadata_timing())


def anthropic_routes(state: SandboxState) -> list[Route]:
    """The Anthropic routes under /anthropic."""

    def route(path: str, name: str, handler: Handler, method: str) -> Route:
        run = endpoint(state, "anthropic", name, ANTHROPIC, handler, check_credentials)
        return Route(f"/anthropic/v1{path}", run, methods=[method])

    return [
        route("/messages", "messages", messages, "POST"),
        route("/messages/count_tokens", "messages.count_tokens", count_tokens, "POST"),
        route("/models", "models", list_models, "GET"),
    ]
