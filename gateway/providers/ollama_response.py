"""Ollama's native answers → OpenAI's shapes: chat, embeddings, and the model listing. Pure.

Ollama /api/chat                          OpenAI chat.completion
message.content                           message.content
message.tool_calls {function: {name,      message.tool_calls (id: Ollama's when it sends
  arguments: {…}}}                        one, else derived from the completion id;
                                          arguments as JSON text)
done_reason stop / length                 finish_reason stop / length (tool_calls when
                                          the message calls tools)
prompt_eval_count, eval_count             usage.prompt_tokens, usage.completion_tokens

Ollama /api/embed                         OpenAI embeddings list
embeddings [[…], …]                       data [{object, index, embedding}] (floats, or
                                          base64 of little-endian float32)
prompt_eval_count                         usage.prompt_tokens = total_tokens
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson

from gateway.providers.base import Usage
from gateway.providers.openai_shapes import (
    JSON,
    assistant_message,
    completion_json,
    tool_call_json,
    usage_json,
)

FINISH_REASONS: dict[str, str] = {"stop": "stop", "length": "length"}


def finish_reason(done_reason: Any, *, called_tools: bool) -> str:
    """OpenAI's finish_reason for Ollama's done_reason ("load"/"unload"/unknown: "stop")."""
    reason = FINISH_REASONS.get(str(done_reason), "stop")
    return "tool_calls" if called_tools and reason == "stop" else reason


def usage_of(data: JSON) -> Usage:
    """Token counts of a final chat object (Ollama omits prompt_eval_count on a cached prompt)."""
    return Usage(int(data.get("prompt_eval_count") or 0), int(data.get("eval_count") or 0))


def tool_calls(raw_calls: Any, completion_id: str, first_index: int = 0) -> list[JSON]:
    """OpenAI tool calls for Ollama's, numbered from `first_index` within the completion."""
    calls = []
    for offset, call in enumerate(raw_calls or []):
        function = call.get("function") or {}
        index = first_index + offset
        call_id = call.get("id") or f"call_{completion_id.removeprefix('chatcmpl-')}_{index}"
        arguments = function.get("arguments")
        text = arguments if isinstance(arguments, str) else orjson.dumps(arguments or {}).decode()
        calls.append(tool_call_json(str(call_id), str(function.get("name") or ""), text))
    return calls


def completion_from_chat(data: JSON, *, completion_id: str, created: int) -> tuple[JSON, Usage]:
    """The `chat.completion` for a `stream: false` /api/chat answer, and its usage."""
    message = data.get("message") or {}
    calls = tool_calls(message.get("tool_calls"), completion_id)
    usage = usage_of(data)
    completion = completion_json(
        completion_id=completion_id,
        created=created,
        model=str(data.get("model") or ""),
        message=assistant_message(str(message.get("content") or ""), calls),
        finish=finish_reason(data.get("done_reason"), called_tools=bool(calls)),
        usage=usage_json(usage),
    )
    return completion, usage


def _encoded(vector: list[float], encoding_format: str) -> list[float] | str:
    if encoding_format != "base64":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def embeddings_from_embed(data: JSON, encoding_format: str = "float") -> tuple[JSON, Usage]:
    """OpenAI's embeddings `list` for an /api/embed answer, and its usage."""
    prompt = int(data.get("prompt_eval_count") or 0)
    items = [
        {"object": "embedding", "index": index, "embedding": _encoded(vector, encoding_format)}
        for index, vector in enumerate(data.get("embeddings") or [])
    ]
    response = {
        "object": "list",
        "data": items,
        "model": str(data.get("model") or ""),
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    }
    return response, Usage(prompt, 0)


def parse_tags(raw: bytes) -> list[str]:
    """The model names an /api/tags answer lists, in its order, without the implied `:latest`.

    Ollama treats `llama3.2` and `llama3.2:latest` as one model, and the catalogue
    names models without the tag, so the tag is dropped; other tags (`qwen2.5:7b`) stay.
    """
    data = orjson.loads(raw)
    names: list[str] = []
    for model in data.get("models") or []:
        if not isinstance(model, dict):
            continue
        name = model.get("model") or model.get("name")
        if isinstance(name, str) and name:
            name = name.removesuffix(":latest")
            if name not in names:
                names.append(name)
    return names
