"""OpenAI-style tool choice and prompt token counting, shared with Ollama's native API.

The simulated model calls a tool when tools are offered and `tool_choice` is not
"none", except right after a tool result (the last message has role "tool"), where it
answers in text as a real model would, unless a tool is forced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from gateway.sandbox.errors import SandboxError
from gateway.sandbox.generation import ToolSpec
from gateway.sandbox.text import count_text_tokens

_IMAGE_TOKENS = 85
_PER_MESSAGE = 4
_PRIMING = 3


def tool_call_id(seed: bytes) -> str:
    """A deterministic tool call id in OpenAI's `call_…` form."""
    return "call_" + seed.hex()[:24]


def _specs(tools: Any) -> list[ToolSpec]:
    if not isinstance(tools, list):
        return []
    specs: list[ToolSpec] = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise SandboxError(
                400, "Invalid 'tools': every tool needs a function with a name.", param="tools"
            )
        parameters = function.get("parameters")
        schema = parameters if isinstance(parameters, Mapping) else {}
        specs.append(ToolSpec(function["name"], schema))
    return specs


def _forced_name(choice: Any) -> str | None:
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


def pick_tool(body: Mapping[str, Any], messages: Sequence[Any]) -> ToolSpec | None:
    """The tool the simulated model calls for this request, or None for a text answer."""
    specs = _specs(body.get("tools"))
    choice = body.get("tool_choice", "auto")
    if not specs or choice == "none":
        return None
    forced = _forced_name(choice)
    if forced is not None:
        for spec in specs:
            if spec.name == forced:
                return spec
        raise SandboxError(
            400,
            f"Invalid 'tool_choice': no function named '{forced}' in 'tools'.",
            param="tool_choice",
        )
    last = messages[-1] if messages else {}
    after_result = isinstance(last, Mapping) and last.get("role") == "tool"
    if after_result and choice != "required":
        return None
    return specs[0]


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return count_text_tokens(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for part in content:
        if isinstance(part, Mapping):
            text = part.get("text")
            total += count_text_tokens(text) if isinstance(text, str) else _IMAGE_TOKENS
    return total


def count_message_tokens(messages: Sequence[Any], tools: Any = None) -> int:
    """Prompt tokens of a message list (plus tool definitions), by the characters / 4 rule."""
    total = _PRIMING
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        total += _PER_MESSAGE + _content_tokens(message.get("content"))
        calls = message.get("tool_calls")
        if calls:
            total += count_text_tokens(orjson.dumps(calls).decode())
    if tools:
        total += count_text_tokens(orjson.dumps(tools).decode())
    return total
