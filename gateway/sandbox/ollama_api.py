"""The Ollama native endpoints under /ollama: chat, embed, tags, version and the root probe."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import orjson
from starlette.routing import Route

from gateway.sandbox.endpoint import Call, Handler, SandboxState, endpoint
from gateway.sandbox.errors import OLLAMA
from gateway.sandbox.generation import generate
from gateway.sandbox.ollama_protocol import chat_body, chat_lines, embed_body, parse_chat, tags_body
from gateway.sandbox.wire import NDJSON_TYPE, WireResponse

OLLAMA_VERSION = "0.9.0"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def chat(call: Call) -> WireResponse:
    """POST /api/chat: NDJSON unless `"stream": false`."""
    request = parse_chat(call.body, call.models)
    request = replace(request, prompt_tokens=call.fault.prompt(request.prompt_tokens))
    gen = generate(request.generation)
    if request.stream:
        return call.stream_reply(chat_lines(request, gen, _now()), NDJSON_TYPE)
    return call.whole_reply(chat_body(request, gen, _now()), call.whole_timing(gen.token_count))


def embed(call: Call) -> WireResponse:
    """POST /api/embed."""
    return call.whole_reply(embed_body(call.body, call.models), call.whole_timing(0))


def tags(call: Call) -> WireResponse:
    """GET /api/tags."""
    return call.whole_reply(tags_body(call.models.of_provider("ollama")), call.metadata_timing())


def version(call: Call) -> WireResponse:
    """GET /api/version."""
    return call.whole_reply(orjson.dumps({"version": OLLAMA_VERSION}), call.metadata_timing())


def root(call: Call) -> WireResponse:
    """GET /: Ollama's liveness answer."""
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    return WireResponse([b"Ollama is running"], headers=headers, timing=call.metadata_timing())


def ollama_routes(state: SandboxState) -> list[Route]:
    """The Ollama native routes under /ollama (its /v1 routes come from openai_api)."""

    def route(path: str, name: str, handler: Handler, method: str) -> Route:
        run = endpoint(state, "ollama", name, OLLAMA, handler)
        return Route(f"/ollama{path}", run, methods=[method])

    return [
        route("/", "root", root, "GET"),
        route("/api/chat", "chat", chat, "POST"),
        route("/api/embed", "embed", embed, "POST"),
        route("/api/tags", "tags", tags, "GET"),
        route("/api/version", "version", version, "GET"),
    ]
