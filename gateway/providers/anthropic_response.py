"""An Anthropic `message` → an OpenAI `chat.completion`. Pure.

Anthropic                                  OpenAI
id, model                                  id, model (created: the gateway's clock)
text blocks                                message.content (joined)
tool_use blocks {id, name, input}          message.tool_calls (arguments as JSON text)
thinking / server-tool blocks              dropped
stop_reason                                finish_reason (FINISH_REASONS)
usage input + cache write + cache read     usage.prompt_tokens (cache reads also as
                                           prompt_tokens_details.cached_tokens)
usage output_tokens                        usage.completion_tokens
"""

from __future__ import annotations

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

FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: Any) -> str:
    """OpenAI's finish_reason for an Anthropic stop_reason (unknown ones: "stop")."""
    return FINISH_REASONS.get(str(stop_reason), "stop")


def prompt_tokens(usage: JSON) -> tuple[int, int]:
    """(prompt tokens as OpenAI counts them, of which read from cache) of an Anthropic usage.

    Anthropic's `input_tokens` excludes the tokens written to and read from its cache;
    OpenAI's `prompt_tokens` includes every token of the prompt.
    """
    cached = int(usage.get("cache_read_input_tokens") or 0)
    written = int(usage.get("cache_creation_input_tokens") or 0)
    return int(usage.get("input_tokens") or 0) + written + cached, cached


def _content(blocks: list[JSON]) -> tuple[str, list[JSON]]:
    texts: list[str] = []
    calls: list[JSON] = []
    for block in blocks:
        if block.get("type") == "text":
            texts.append(str(block.get("text") or ""))
        elif block.get("type") == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            calls.append(tool_call_json(str(block["id"]), str(block["name"]), arguments))
    return "".join(texts), calls


def completion_from_message(message: JSON, created: int) -> tuple[JSON, Usage]:
    """The `chat.completion` for an Anthropic `message`, and its usage."""
    raw_usage = message.get("usage") or {}
    prompt, cached = prompt_tokens(raw_usage)
    usage = Usage(prompt, int(raw_usage.get("output_tokens") or 0))
    text, calls = _content(message.get("content") or [])
    completion = completion_json(
        completion_id=str(message["id"]),
        created=created,
        model=str(message["model"]),
        message=assistant_message(text, calls),
        finish=finish_reason(message.get("stop_reason")),
        usage=usage_json(usage, cached),
    )
    return completion, usage
