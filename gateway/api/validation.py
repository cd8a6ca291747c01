"""Pure checks of request bodies: each failure is a 400 naming the offending `param`.

Only what the gateway itself relies on is checked here (types and ranges of the
fields it reads); everything else passes through to the provider untouched.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.errors import InvalidRequest

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MAX_DEPTH = 64
"""How deeply a body may nest (OpenAI's own bodies nest about ten levels)."""
MAX_EMBEDDING_INPUTS = 2048
"""Items in one embeddings `input` (strings or token arrays), as OpenAI allows. Each is
answered with a vector of up to 3,072 floats, so this bounds the answer too."""
MAX_EMBEDDING_TOKENS = 300_000
"""Tokens across all of one embeddings request's inputs, as OpenAI allows."""


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest(
            "We could not parse the JSON body of your request. Send a JSON object "
            "with Content-Type: application/json."
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    # Nesting can go no deeper than there are opening brackets (strings' included), so
    # the walk is needed only for a body with more of them than the limit.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _too_deep(data):
        raise InvalidRequest(f"The request body nests more than {MAX_DEPTH} levels deep.")
    return data


def validate_chat(body: dict[str, Any]) -> None:
    _require_model(body)
    messages = body.get("messages")
    if messages is None:
        raise InvalidRequest("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest(
            "'messages' must be a non-empty array of message objects.", param="messages"
        )
    for index, message in enumerate(messages):
        _check_message(index, message)
    for name in ("max_tokens", "max_completion_tokens"):
        _check_int(body, name, minimum=1)
    _check_int(body, "n", minimum=1, maximum=128)
    _check_number(body, "temperature", 0, 2)
    _check_number(body, "top_p", 0, 1)
    _check_type(body, "stream", bool, "a boolean")
    _check_type(body, "stream_options", dict, "an object")
    _check_type(body, "tools", list, "an array")
    _check_type(body, "functions", list, "an array")
    _check_type(body, "stop", (str, list), "a string or an array of strings")
    _check_type(body, "response_format", dict, "an object")
    if isinstance(body.get("response_format"), dict):
        _check_type(body["response_format"], "type", str, "a string", "response_format.type")
    for name in ("tools", "functions"):
        for index, tool in enumerate(body.get(name) or ()):
            _check_tool(f"{name}[{index}]", tool, wrapped=name == "tools")


def validate_embeddings(body: dict[str, Any]) -> None:
    _require_model(body)
    value = body.get("input")
    if value is None:
        raise InvalidRequest("Missing required parameter: 'input'.", param="input")
    items = _embedding_items(value)
    if items > MAX_EMBEDDING_INPUTS:
        raise InvalidRequest(
            f"'input' holds {items:,} items; at most {MAX_EMBEDDING_INPUTS:,} are allowed "
            "in one request.",
            param="input",
        )
    if not _valid_embedding_input(value):
        raise InvalidRequest(
            "'input' must be a non-empty string, an array of strings, or an array of token arrays.",
            param="input",
        )
    if body.get("encoding_format", "float") not in ("float", "base64"):
        raise InvalidRequest(
            "'encoding_format' must be 'float' or 'base64'.", param="encoding_format"
        )
    _check_int(body, "dimensions", minimum=1)


def check_embedding_tokens(tokens: int) -> None:
    """Refuse an embeddings `input` of more tokens, all items together, than one request
    may carry (`tokens` as counted for admission)."""
    if tokens > MAX_EMBEDDING_TOKENS:
        raise InvalidRequest(
            f"'input' holds {tokens:,} tokens across its items; at most "
            f"{MAX_EMBEDDING_TOKENS:,} are allowed in one request.",
            param="input",
        )


def requested_output_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    return int(value) if value is not None else None


def _require_model(body: dict[str, Any]) -> None:
    model = body.get("model")
    if model is None:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("'model' must be a non-empty string.", param="model")


def _check_message(index: int, message: Any) -> None:
    param = f"messages[{index}]"
    if not isinstance(message, dict):
        raise InvalidRequest(f"'{param}' must be an object.", param=param)
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise InvalidRequest(
            f"Invalid value for '{param}.role': {role!r}. Supported values are: "
            + ", ".join(sorted(ROLES))
            + ".",
            param=f"{param}.role",
        )
    content = message.get("content")
    if content is not None and not isinstance(content, str | list):
        raise InvalidRequest(
            f"'{param}.content' must be a string or an array of parts.", param=f"{param}.content"
        )
    if isinstance(content, list):
        for index, part in enumerate(content):
            _check_part(f"{param}.content[{index}]", part)
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise InvalidRequest(
                f"'{param}.tool_calls' must be an array.", param=f"{param}.tool_calls"
            )
        for index, call in enumerate(calls):
            where = f"{param}.tool_calls[{index}]"
            _check_object(where, call)
            _check_function(f"{where}.function", call.get("function"), ("name", "arguments"))
    if isinstance(message.get("function_call"), dict):
        _check_function(f"{param}.function_call", message["function_call"], ("name", "arguments"))


def _check_part(param: str, part: Any) -> None:
    _check_object(param, part)
    kind = part.get("type")
    if not isinstance(kind, str):
        raise InvalidRequest(f"'{param}.type' must be a string.", param=f"{param}.type")
    if kind in ("text", "refusal") and not isinstance(part.get(kind, ""), str):
        raise InvalidRequest(f"'{param}.{kind}' must be a string.", param=f"{param}.{kind}")
    for field in ("image_url", "input_audio", "file"):
        if kind == field and not isinstance(part.get(field), dict):
            raise InvalidRequest(f"'{param}.{field}' must be an object.", param=f"{param}.{field}")


def _check_tool(param: str, tool: Any, *, wrapped: bool) -> None:
    """A tool (`{"type", "function": {...}}`) or a legacy function definition."""
    _check_object(param, tool)
    function = tool.get("function") if wrapped else tool
    where = f"{param}.function" if wrapped else param
    _check_function(where, function, ("name", "description"))
    if "parameters" in function and not isinstance(function["parameters"], dict):
        raise InvalidRequest(
            f"'{where}.parameters' must be an object (a JSON schema).", param=f"{where}.parameters"
        )


def _check_function(param: str, function: Any, strings: tuple[str, ...]) -> None:
    _check_object(param, function)
    for name in strings:
        if name in function and not isinstance(function[name], str):
            raise InvalidRequest(f"'{param}.{name}' must be a string.", param=f"{param}.{name}")


def _check_object(param: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise InvalidRequest(f"'{param}' must be an object.", param=param)


_CONTAINERS = (dict, list)


def _too_deep(value: Any) -> bool:
    """Whether `value` nests more than MAX_DEPTH containers.

    Level by level, without recursion (no recursion limit) and without an object per
    container: a wide body (100,000 messages) makes no garbage for the collector to walk.
    """
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH):
        below: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below += [child for child in children if isinstance(child, _CONTAINERS)]
        if not below:
            return False
        level = below
    return True


def _check_int(
    body: dict[str, Any], name: str, *, minimum: int, maximum: int | None = None
) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"'{name}' must be an integer.", param=name)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidRequest(f"Invalid '{name}': {value}. It must be {bound}.", param=name)


def _check_number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{name}' must be a number.", param=name)
    if not low <= value <= high:
        raise InvalidRequest(
            f"Invalid '{name}': {value}. It must be between {low} and {high}.", param=name
        )


def _check_type(
    body: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    description: str,
    param: str | None = None,
) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        param = param or name
        raise InvalidRequest(f"'{param}' must be {description}.", param=param)


def _embedding_items(value: Any) -> int:
    """How many inputs `value` holds: one for a string or a single token array (an array
    starting with an integer), else the array's length (checked before its items are)."""
    if isinstance(value, list) and value and not isinstance(value[0], int):
        return len(value)
    return 1


def _valid_embedding_input(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(item, str) for item in value):
        return True
    if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        return True
    return all(
        isinstance(item, list)
        and item
        and all(isinstance(t, int) and not isinstance(t, bool) for t in item)
        for item in value
    )
