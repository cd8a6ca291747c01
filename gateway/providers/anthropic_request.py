"""An OpenAI chat-completions body → an Anthropic Messages request body. Pure.

    OpenAI                                   Anthropic
    system / developer messages              system (joined by blank lines)
    messages                                 messages (see anthropic_messages)
    max_completion_tokens / max_tokens       max_tokens (else the model's maximum output)
    temperature (0-2), top_p                 temperature (clamped to 0-1), top_p
    stop (string or list)                    stop_sequences (whitespace-only ones dropped)
    user (else safety_identifier)            metadata.user_id
    tools [{type: function, function}]       tools [{name, description, input_schema}]
    tool_choice auto / required / {function} tool_choice auto / any / {type: tool, name}
    tool_choice none                         tools dropped (kept with {type: none} when the
                                             conversation already holds tool blocks)
    parallel_tool_calls false                tool_choice.disable_parallel_tool_use
    response_format json_object/json_schema  an instruction appended to system
    stream                                   stream

Anthropic answers one choice, so `n` > 1 is refused; other OpenAI-only parameters
(seed, penalties, logit_bias, logprobs…) have no Anthropic counterpart and are dropped.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.errors import InvalidRequest
from gateway.providers.anthropic_messages import convert_messages, has_tool_blocks
from gateway.providers.openai_shapes import JSON, requested_max_tokens, stop_sequences

# (OpenAI parameter, Anthropic parameter, Anthropic's maximum)
SAMPLING: tuple[tuple[str, str, float], ...] = (
    ("temperature", "temperature", 1.0),
    ("top_p", "top_p", 1.0),
)
TOOL_CHOICES: dict[str, JSON] = {
    "auto": {"type": "auto"},
    "required": {"type": "any"},
    "none": {"type": "none"},
}
JSON_INSTRUCTION = (
    "Respond with a single valid JSON object and nothing else: no prose, no code fences."
)


def _format_instruction(response_format: Any) -> str | None:
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        return JSON_INSTRUCTION
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return (
            f"{JSON_INSTRUCTION} It must match this JSON schema: "
            + orjson.dumps(schema or {"type": "object"}).decode()
        )
    return None


def _tool(tool: Any, index: int) -> JSON:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest(
            f"'tools[{index}]' must be a function tool with a name.", param=f"tools[{index}]"
        )
    out: JSON = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice: Any) -> JSON:
    if choice is None:
        return dict(TOOL_CHOICES["auto"])
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        return dict(TOOL_CHOICES[choice])
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return {"type": "tool", "name": function["name"]}
    raise InvalidRequest(
        "'tool_choice' must be 'none', 'auto', 'required' or a named function.",
        param="tool_choice",
    )


def _add_tools(body: JSON, payload: JSON) -> None:
    tools = body.get("tools") or []
    if not tools:
        return
    choice = _tool_choice(body.get("tool_choice"))
    if choice["type"] == "none" and not has_tool_blocks(payload["messages"]):
        return
    payload["tools"] = [_tool(tool, index) for index, tool in enumerate(tools)]
    if body.get("parallel_tool_calls") is False and choice["type"] != "none":
        choice["disable_parallel_tool_use"] = True
    payload["tool_choice"] = choice


def _add_sampling(body: JSON, payload: JSON) -> None:
    for source, target, maximum in SAMPLING:
        value = body.get(source)
        if value is not None:
            payload[target] = min(float(value), maximum)
    stops = [s for s in stop_sequences(body) if s.strip()]
    if stops:
        payload["stop_sequences"] = stops
    user = body.get("user") or body.get("safety_identifier")
    if isinstance(user, str) and user:
        payload["metadata"] = {"user_id": user}


def messages_request(body: JSON, model_id: str, *, default_max_tokens: int, stream: bool) -> JSON:
    """The Messages body for an OpenAI chat body; 400 for what Anthropic cannot honour."""
    if int(body.get("n") or 1) != 1:
        raise InvalidRequest("Anthropic models return one choice: 'n' must be 1.", param="n")
    system, turns = convert_messages(body.get("messages") or [])
    instruction = _format_instruction(body.get("response_format"))
    if instruction:
        system.append(instruction)
    payload: JSON = {
        "model": model_id,
        "max_tokens": requested_max_tokens(body) or default_max_tokens,
        "messages": turns,
    }
    if system:
        payload["system"] = "\n\n".join(system)
    _add_sampling(body, payload)
    _add_tools(body, payload)
    if stream:
        payload["stream"] = True
    return payload
