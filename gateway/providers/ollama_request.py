"""OpenAI request bodies → Ollama's native /api/chat and /api/embed bodies. Pure.

OpenAI                                   Ollama /api/chat
messages (system/developer → system)     messages {role, content, images, tool_calls,
                                         tool_name}
image parts as data URLs                 images: [base64, …] (Ollama fetches no URLs)
assistant tool_calls (arguments JSON)    tool_calls [{function: {name, arguments: {…}}}]
tool message                             role tool, tool_name from the matching call
temperature, top_p, seed, penalties      options.* (OPTIONS)
max_completion_tokens / max_tokens       options.num_predict
stop                                     options.stop
response_format json_object              format: "json"
response_format json_schema              format: <the schema>
tools; tool_choice                       tools ("none" drops them, a named function
                                         keeps only that one: Ollama has no tool_choice)
stream                                   stream (always explicit: Ollama streams by default)
"""

from __future__ import annotations

from typing import Any

from gateway.errors import InvalidRequest
from gateway.providers.openai_shapes import (
    JSON,
    image_url_of,
    parse_data_url,
    parts_of,
    requested_max_tokens,
    stop_sequences,
    text_of,
    tool_arguments,
)

# (OpenAI parameter, Ollama option)
OPTIONS: tuple[tuple[str, str], ...] = (
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("seed", "seed"),
    ("presence_penalty", "presence_penalty"),
    ("frequency_penalty", "frequency_penalty"),
)
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def _images(content: Any, param: str) -> list[str]:
    images = []
    for index, part in enumerate(parts_of(content)):
        part_param = f"{param}.content[{index}]"
        kind = part.get("type")
        if kind in ("text", "refusal"):
            continue
        if kind != "image_url":
            raise InvalidRequest(
                f"'{part_param}': Ollama models take text and image parts only.", param=part_param
            )
        data = parse_data_url(image_url_of(part, part_param), part_param)
        if data is None:
            raise InvalidRequest(
                f"'{part_param}': Ollama models take images as base64 data URLs only.",
                param=part_param,
            )
        images.append(data.data)
    return images


def _tool_calls(message: JSON, param: str) -> list[JSON]:
    calls = []
    for index, call in enumerate(message.get("tool_calls") or []):
        call_param = f"{param}.tool_calls[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            raise InvalidRequest(f"'{call_param}' needs a function name.", param=call_param)
        arguments = tool_arguments(call, call_param)
        calls.append({"function": {"name": function["name"], "arguments": arguments}})
    return calls


def _message(message: JSON, param: str, tool_names: dict[str, str]) -> JSON:
    role = message.get("role")
    content = message.get("content")
    if role == "tool":
        out: JSON = {"role": "tool", "content": text_of(content)}
        name = tool_names.get(str(message.get("tool_call_id")))
        if name:
            out["tool_name"] = name
        return out
    if role not in ROLES:
        raise InvalidRequest(
            f"'{param}.role': '{role}' messages cannot be sent to Ollama models.",
            param=f"{param}.role",
        )
    out = {"role": ROLES[str(role)], "content": text_of(content)}
    images = _images(content, param)
    if images:
        out["images"] = images
    calls = _tool_calls(message, param)
    if calls:
        out["tool_calls"] = calls
        for call in message["tool_calls"]:
            tool_names[str(call.get("id"))] = call["function"]["name"]
    return out


def _tools(body: JSON) -> list[JSON]:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    choice = body.get("tool_choice")
    if choice == "none":
        return []
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and function.get("name"):
        return [t for t in tools if (t.get("function") or {}).get("name") == function["name"]]
    return tools


def _format(response_format: Any) -> Any:
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        return (spec.get("schema") if isinstance(spec, dict) else None) or "json"
    return None


def _options(body: JSON) -> JSON:
    options = {target: body[source] for source, target in OPTIONS if body.get(source) is not None}
    max_tokens = requested_max_tokens(body)
    if max_tokens is not None:
        options["num_predict"] = max_tokens
    stops = stop_sequences(body)
    if stops:
        options["stop"] = stops
    return options


def chat_request(body: JSON, model_id: str, *, stream: bool) -> JSON:
    """The /api/chat body for an OpenAI chat body; 400 for what Ollama cannot take."""
    if int(body.get("n") or 1) != 1:
        raise InvalidRequest("Ollama models return one choice: 'n' must be 1.", param="n")
    tool_names: dict[str, str] = {}
    messages = [
        _message(message, f"messages[{index}]", tool_names)
        for index, message in enumerate(body.get("messages") or [])
    ]
    payload: JSON = {"model": model_id, "messages": messages, "stream": stream}
    tools = _tools(body)
    if tools:
        payload["tools"] = tools
    options = _options(body)
    if options:
        payload["options"] = options
    fmt = _format(body.get("response_format"))
    if fmt is not None:
        payload["format"] = fmt
    return payload


def embed_request(body: JSON, model_id: str) -> JSON:
    """The /api/embed body for an OpenAI embeddings body; Ollama embeds text, not token ids."""
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise InvalidRequest(
            "Ollama embedding models take 'input' as a string or an array of strings.",
            param="input",
        )
    payload: JSON = {"model": model_id, "input": texts}
    if body.get("dimensions") is not None:
        payload["dimensions"] = body["dimensions"]
    return payload
