"""Ollama's native API, pure: /api/chat (NDJSON, streamed by default), /api/embed, /api/tags.

Ollama answers errors as `{"error": "…"}`, puts `max_tokens` and stop sequences under
`options` (`num_predict`, `stop`), takes `format: "json"` or a JSON schema, returns tool
calls with `arguments` as an object, and reports timings in nanoseconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.pricing.catalog import ModelInfo, ModelKind
from gateway.sandbox.embeddings import embed, token_count
from gateway.sandbox.errors import SandboxError
from gateway.sandbox.framing import ndjson
from gateway.sandbox.generation import Finish, Generation, GenerationRequest
from gateway.sandbox.models import ModelDirectory, embedding_dimensions, ollama_name
from gateway.sandbox.openai_resources import embedding_inputs
from gateway.sandbox.openai_tools import count_message_tokens, pick_tool
from gateway.sandbox.text import digest

_NS_PER_PROMPT_TOKEN = 400_000
_NS_PER_TOKEN = 20_000_000
_LOAD_NS = 5_000_000
_MODIFIED_AT = "2025-01-10T12:00:00Z"
_FAMILIES = {"llama": "llama", "qwen": "qwen2", "nomic": "nomic-bert"}


@dataclass(frozen=True, slots=True)
class OllamaChat:
    """A validated /api/chat request."""

    model: str
    stream: bool
    prompt_tokens: int
    generation: GenerationRequest


def not_found(name: str) -> SandboxError:
    """Ollama's answer to an unknown model."""
    return SandboxError(404, f'model "{name}" not found, try pulling it first')


def _model(body: Mapping[str, Any], models: ModelDirectory, kinds: tuple[ModelKind, ...]) -> str:
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise SandboxError(400, "model is required")
    if not any(models.find("ollama", name, kind) for kind in kinds):
        raise not_found(name)
    return name


def _options(body: Mapping[str, Any]) -> tuple[int | None, tuple[str, ...], Any]:
    options = body.get("options")
    if not isinstance(options, Mapping):
        return None, (), None
    limit = options.get("num_predict")
    max_tokens = limit if isinstance(limit, int) and limit > 0 else None
    stops = options.get("stop")
    stop_list = tuple(s for s in stops if isinstance(s, str)) if isinstance(stops, list) else ()
    return max_tokens, stop_list, options.get("seed")


def parse_chat(body: Mapping[str, Any], models: ModelDirectory) -> OllamaChat:
    """Validate an /api/chat request; raise `SandboxError` where Ollama would answer 4xx."""
    model = _model(body, models, (ModelKind.CHAT,))
    messages = body.get("messages") or []
    if not isinstance(messages, list):
        raise SandboxError(400, "messages must be an array")
    max_tokens, stops, seed_option = _options(body)
    fmt = body.get("format")
    schema = fmt if isinstance(fmt, Mapping) else None
    seed = digest(orjson.dumps(messages, option=orjson.OPT_SORT_KEYS), str(seed_option).encode())
    request = GenerationRequest(
        seed,
        max_tokens,
        stops,
        fmt == "json" or schema is not None,
        schema,
        pick_tool(body, messages),
    )
    stream = body.get("stream") is not False
    return OllamaChat(model, stream, count_message_tokens(messages, body.get("tools")), request)


def _message(gen: Generation, streaming: bool) -> dict[str, Any]:
    if gen.tool is None:
        return {"role": "assistant", "content": "" if streaming else gen.text}
    call = {"function": {"name": gen.tool.name, "arguments": gen.arguments}}
    return {"role": "assistant", "content": "", "tool_calls": [call]}


def _final(
    chat: OllamaChat, gen: Generation, created_at: str, message: dict[str, Any]
) -> dict[str, Any]:
    prompt_ns = chat.prompt_tokens * _NS_PER_PROMPT_TOKEN
    eval_ns = gen.token_count * _NS_PER_TOKEN
    return {
        "model": chat.model,
        "created_at": created_at,
        "message": message,
        "done": True,
        "done_reason": "length" if gen.finish is Finish.LENGTH else "stop",
        "total_duration": _LOAD_NS + prompt_ns + eval_ns,
        "load_duration": _LOAD_NS,
        "prompt_eval_count": chat.prompt_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": gen.token_count,
        "eval_duration": eval_ns,
    }


def chat_body(chat: OllamaChat, gen: Generation, created_at: str) -> bytes:
    """The single JSON object of a `stream: false` chat."""
    return orjson.dumps(_final(chat, gen, created_at, _message(gen, streaming=False)))


def chat_lines(chat: OllamaChat, gen: Generation, created_at: str) -> list[bytes]:
    """The NDJSON lines of a streamed chat, the `done: true` line included."""
    head = {"model": chat.model, "created_at": created_at}
    if gen.tool is not None:
        lines = [ndjson({**head, "message": _message(gen, streaming=True), "done": False})]
    else:
        lines = [
            ndjson({**head, "message": {"role": "assistant", "content": token}, "done": False})
            for token in gen.tokens
        ]
    empty = {"role": "assistant", "content": ""}
    lines.append(ndjson(_final(chat, gen, created_at, empty)))
    return lines


def embed_body(body: Mapping[str, Any], models: ModelDirectory) -> bytes:
    """The /api/embed answer; raise `SandboxError` on a bad request."""
    model = _model(body, models, (ModelKind.EMBEDDING, ModelKind.CHAT))
    inputs = embedding_inputs(body.get("input"))
    native = embedding_dimensions(model.removesuffix(":latest"))
    dims = body.get("dimensions") if isinstance(body.get("dimensions"), int) else None
    vectors = [embed(item, native, dims) for item in inputs]
    tokens = sum(token_count(item) for item in inputs)
    payload = {
        "model": model,
        "embeddings": vectors,
        "total_duration": _LOAD_NS * 2,
        "load_duration": _LOAD_NS,
        "prompt_eval_count": tokens,
    }
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)


def _tag(model: ModelInfo) -> dict[str, Any]:
    name = ollama_name(model.id)
    family = next((f for prefix, f in _FAMILIES.items() if model.id.startswith(prefix)), "llama")
    sha = hashlib.sha256(name.encode()).hexdigest()
    size_tag = next((a.split(":")[1] for a in model.aliases if ":" in a), "")
    return {
        "name": name,
        "model": name,
        "modified_at": _MODIFIED_AT,
        "size": 1_000_000 + int(sha[:7], 16) * 100,
        "digest": sha,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": size_tag.upper() or "137M",
            "quantization_level": "Q4_K_M" if model.kind is ModelKind.CHAT else "F16",
        },
    }


def tags_body(models: list[ModelInfo]) -> bytes:
    """The /api/tags listing."""
    return orjson.dumps({"models": [_tag(m) for m in models]})
