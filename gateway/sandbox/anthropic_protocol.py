"""Anthropic's Messages wire protocol, pure: request parsing and response rendering.

`parse_messages` validates a request as the Messages API does (`max_tokens` required,
`system` top-level, content blocks, `tool_choice` auto/any/tool/none, structured
output through `output_config.format`); `message_body` renders a `message` object and
`message_events` the SSE sequence message_start, content_block_start, ping,
content_block_delta…, content_block_stop, message_delta, message_stop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.pricing.catalog import ModelKind
from gateway.sandbox.errors import SandboxError
from gateway.sandbox.framing import sse_event
from gateway.sandbox.generation import Finish, Generation, GenerationRequest, ToolSpec
from gateway.sandbox.models import ModelDirectory
from gateway.sandbox.text import count_text_tokens, digest

STOP_REASONS = {
    Finish.STOP: "end_turn",
    Finish.STOP_SEQUENCE: "stop_sequence",
    Finish.LENGTH: "max_tokens",
    Finish.TOOL_CALL: "tool_use",
}


@dataclass(frozen=True, slots=True)
class MessagesRequest:
    """A validated Messages request."""

    model: str
    stream: bool
    input_tokens: int
    generation: GenerationRequest


def _invalid(message: str) -> SandboxError:
    return SandboxError(400, message)


def _model_limit(body: Mapping[str, Any], models: ModelDirectory) -> tuple[str, int]:
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise _invalid("model: Field required")
    model = models.find("anthropic", name, ModelKind.CHAT)
    if model is None:
        raise SandboxError(404, f"model: {name}")
    return name, model.max_output_tokens


def _max_tokens(body: Mapping[str, Any], model: str, limit: int) -> int:
    value = body.get("max_tokens")
    if value is None:
        raise _invalid("max_tokens: Field required")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _invalid("max_tokens: Input should be a valid integer greater than or equal to 1")
    if value > limit:
        raise _invalid(
            f"max_tokens: {value} > {limit}, which is the maximum allowed number "
            f"of output tokens for {model}"
        )
    return value


def _messages(body: Mapping[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if messages is None:
        raise _invalid("messages: Field required")
    if not isinstance(messages, list) or not messages:
        raise _invalid("messages: at least one message is required")
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, Mapping) else None
        if role not in ("user", "assistant"):
            raise _invalid(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    return messages


def _tools(body: Mapping[str, Any]) -> list[ToolSpec]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    specs = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
            raise _invalid(f"tools.{index}.name: Field required")
        schema = tool.get("input_schema")
        specs.append(ToolSpec(tool["name"], schema if isinstance(schema, Mapping) else {}))
    return specs


def _ends_with_tool_result(messages: Sequence[Any]) -> bool:
    content = messages[-1].get("content")
    return isinstance(content, list) and any(
        isinstance(b, Mapping) and b.get("type") == "tool_result" for b in content
    )


def _pick_tool(body: Mapping[str, Any], messages: Sequence[Any]) -> ToolSpec | None:
    specs = _tools(body)
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if not specs or kind == "none":
        return None
    if kind == "tool":
        name = choice.get("name")
        for spec in specs:
            if spec.name == name:
                return spec
        raise _invalid(f"tool_choice.name: no tool named '{name}' in tools")
    if kind == "auto" and _ends_with_tool_result(messages):
        return None
    return specs[0]


def _output_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, Mapping) else None
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        schema = fmt.get("schema")
        return schema if isinstance(schema, Mapping) else {"type": "object"}
    return None


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return count_text_tokens(content)
    if isinstance(content, list):
        return count_text_tokens(orjson.dumps(content).decode())
    return 0


def count_input_tokens(body: Mapping[str, Any], messages: Sequence[Any]) -> int:
    """Input tokens of a Messages request: system, messages and tools, by characters / 4."""
    total = _content_tokens(body.get("system")) + 3 * len(messages)
    total += sum(_content_tokens(m.get("content")) for m in messages)
    if body.get("tools"):
        total += count_text_tokens(orjson.dumps(body["tools"]).decode())
    return max(total, 1)


def _stops(body: Mapping[str, Any]) -> tuple[str, ...]:
    stops = body.get("stop_sequences") or []
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise _invalid("stop_sequences: Input should be a valid list of strings")
    return tuple(stops)


def parse_messages(body: Mapping[str, Any], models: ModelDirectory) -> MessagesRequest:
    """Validate a Messages request; raise `SandboxError` where Anthropic would answer 4xx."""
    model, limit = _model_limit(body, models)
    max_tokens = _max_tokens(body, model, limit)
    messages = _messages(body)
    seed = digest(orjson.dumps([body.get("system"), messages], option=orjson.OPT_SORT_KEYS))
    schema = _output_schema(body)
    request = GenerationRequest(
        seed, max_tokens, _stops(body), schema is not None, schema, _pick_tool(body, messages)
    )
    return MessagesRequest(
        model, bool(body.get("stream")), count_input_tokens(body, messages), request
    )


def tool_use_id(seed: bytes) -> str:
    """A deterministic tool_use id in Anthropic's `toolu_…` form."""
    return "toolu_01" + seed.hex()[:22]


def _block(gen: Generation, seed: bytes, streaming: bool) -> dict[str, Any]:
    if gen.tool is None:
        return {"type": "text", "text": "" if streaming else gen.text}
    return {
        "type": "tool_use",
        "id": tool_use_id(seed),
        "name": gen.tool.name,
        "input": {} if streaming else gen.arguments,
    }


def _message(
    req: MessagesRequest, gen: Generation, message_id: str, streaming: bool
) -> dict[str, Any]:
    usage = {
        "input_tokens": req.input_tokens,
        "output_tokens": 1 if streaming else gen.token_count,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": [] if streaming else [_block(gen, req.generation.seed, False)],
        "stop_reason": None if streaming else STOP_REASONS[gen.finish],
        "stop_sequence": None if streaming else gen.stop_sequence,
        "usage": usage,
    }


def message_body(req: MessagesRequest, gen: Generation, message_id: str) -> bytes:
    """The `message` JSON object."""
    return orjson.dumps(_message(req, gen, message_id, streaming=False))


def _delta(gen: Generation, token: str) -> dict[str, Any]:
    if gen.tool is None:
        return {"type": "text_delta", "text": token}
    return {"type": "input_json_delta", "partial_json": token}


def message_events(req: MessagesRequest, gen: Generation, message_id: str) -> list[bytes]:
    """The SSE events of the streamed message, message_stop included."""
    block = _block(gen, req.generation.seed, streaming=True)
    events = [
        sse_event(
            "message_start",
            {"type": "message_start", "message": _message(req, gen, message_id, streaming=True)},
        ),
        sse_event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        ),
        sse_event("ping", {"type": "ping"}),
    ]
    events.extend(
        sse_event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": _delta(gen, token)},
        )
        for token in gen.tokens
    )
    delta = {"stop_reason": STOP_REASONS[gen.finish], "stop_sequence": gen.stop_sequence}
    events += [
        sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        sse_event(
            "message_delta",
            {"type": "message_delta", "delta": delta, "usage": {"output_tokens": gen.token_count}},
        ),
        sse_event("message_stop", {"type": "message_stop"}),
    ]
    return events
