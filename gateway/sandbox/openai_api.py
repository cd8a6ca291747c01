"""The OpenAI-compatible endpoints: chat completions, embeddings and models.

Served for OpenAI, Groq and Together (Bearer key required) and for Ollama's /v1 (no
key), each under its own prefix; OpenAI's are also served unprefixed.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace

import orjson
from starlette.datastructures import Headers
from starlette.routing import Route

from gateway.sandbox.endpoint import Call, Handler, SandboxState, endpoint
from gateway.sandbox.errors import OPENAI, SandboxError
from gateway.sandbox.generation import generate
from gateway.sandbox.openai_chat import ChatMeta, completion_body, completion_chunks, parse_chat
from gateway.sandbox.openai_resources import (
    embeddings_body,
    model_object,
    models_body,
    parse_embeddings,
)
from gateway.sandbox.text import fingerprint
from gateway.sandbox.wire import WireResponse

OPENAI_COMPATIBLE = ("openai", "groq", "together", "ollama")
_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def check_bearer(headers: Headers) -> None:
    """Refuse a missing or empty Bearer key, and any key containing "invalid"."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise SandboxError(401, _MISSING_KEY)
    if "invalid" in key.lower():
        raise SandboxError(
            401,
            f"Incorrect API key provided: {key[:8]}***. You can find your "
            "API key at https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )


def chat_completions(call: Call) -> WireResponse:
    """POST /v1/chat/completions."""
    chat = parse_chat(call.body, call.models, call.provider)
    chat = replace(chat, prompt_tokens=call.fault.prompt(chat.prompt_tokens))
    gens = [generate(request) for request in chat.choices]
    meta = ChatMeta(
        "chatcmpl-" + secrets.token_hex(15)[:29],
        int(time.time()),
        chat.model,
        fingerprint(chat.model),
    )
    if chat.stream:
        return call.stream_reply(completion_chunks(chat, gens, meta))
    tokens = max(g.token_count for g in gens)
    return call.whole_reply(completion_body(chat, gens, meta), call.whole_timing(tokens))


def embeddings(call: Call) -> WireResponse:
    """POST /v1/embeddings."""
    request = parse_embeddings(call.body, call.models, call.provider)
    return call.whole_reply(embeddings_body(request), call.whole_timing(0))


def list_models(call: Call) -> WireResponse:
    """GET /v1/models."""
    body = models_body(call.provider, call.models.of_provider(call.provider))
    return call.whole_reply(body, call.metadata_timing())


def retrieve_model(call: Call) -> WireResponse:
    """GET /v1/models/{model}."""
    name = str(call.path_params["model"])
    if not call.models.exists(call.provider, name):
        raise SandboxError(
            404, f"The model '{name}' does not exist", param="model", code="model_not_found"
        )
    body = orjson.dumps(model_object(call.provider, name))
    return call.whole_reply(body, call.metadata_timing())


def openai_routes(state: SandboxState, provider: str, prefix: str) -> list[Route]:
    """The OpenAI-compatible routes of `provider` under `prefix` (e.g. "/groq")."""
    auth = None if provider == "ollama" else check_bearer

    def route(path: str, name: str, handler: Handler, method: str) -> Route:
        run = endpoint(state, provider, name, OPENAI, handler, auth)
        return Route(f"{prefix}/v1{path}", run, methods=[method])

    return [
        route("/chat/completions", "chat.completions", chat_completions, "POST"),
        route("/embeddings", "embeddings", embeddings, "POST"),
        route("/models", "models", list_models, "GET"),
        route("/models/{model:path}", "models", retrieve_model, "GET"),
    ]
