"""OpenAI's shapes, for the adapters that translate: what they read from a chat request
and the chat.completion / chat.completion.chunk objects they build. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from gateway.errors import InvalidRequest, UpstreamError
from gateway.providers.base import Usage

JSON = dict[str, Any]
# The code of an error the upstream reports inside a stream (as the OpenAI-compatible
# translator's), whatever its class.
STREAM_ERROR_CODE = "upstream_stream_error"


# -- reading the client's request -------------------------------------------------------------


def object_at(data: JSON, key: str) -> JSON:
    """`data[key]` when it is a JSON object, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def requested_max_tokens(body: JSON) -> int | None:
    """The client's output cap: `max_completion_tokens`, else the legacy `max_tokens`."""
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    return int(value) if value is not None else None


def stop_sequences(body: JSON) -> list[str]:
    """`stop` as a list (OpenAI accepts one string or a list)."""
    stop = body.get("stop")
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str)]


def text_of(content: Any) -> str:
    """A message's text: the string itself, or its text parts joined (other parts skipped)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = (p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "\n".join(t for t in texts if isinstance(t, str))


def parts_of(content: Any) -> list[JSON]:
    """A message's content as a list of parts (a string becomes one text part)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if isinstance(content, list):
        return [p for p in content if isinstance(p, dict)]
    return []


def image_url_of(part: JSON, param: str) -> str:
    """The URL of an `image_url` part (`{"url": …}` or, leniently, the bare string)."""
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"'{param}.image_url.url' must be a URL or a data URL.", param=param)
    return url


@dataclass(frozen=True, slots=True)
class DataURL:
    """A `data:<media type>;base64,<data>` URL, split (data stays base64)."""

    media_type: str
    data: str


def parse_data_url(url: str, param: str) -> DataURL | None:
    """The parts of a base64 data URL; None for any other URL; 400 for a broken data URL."""
    if not url.startswith("data:"):
        return None
    header, comma, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding != "base64" or not media_type:
        raise InvalidRequest(
            f"'{param}' must be a base64 data URL (data:<media type>;base64,<data>).", param=param
        )
    return DataURL(media_type, data)


def tool_arguments(call: JSON, param: str) -> JSON:
    """An assistant tool call's `arguments` JSON string, decoded to the object it must be."""
    raw = object_at(call, "function").get("arguments") or "{}"
    try:
        arguments = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    except orjson.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):
        raise InvalidRequest(
            f"'{param}.function.arguments' must be a JSON object encoded as a string.",
            param=param,
        )
    return arguments


# -- building OpenAI's answers ----------------------------------------------------------------


def usage_json(usage: Usage, cached_tokens: int = 0) -> JSON:
    """OpenAI's `usage` object (with `prompt_tokens_details.cached_tokens` when known)."""
    out: JSON = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if cached_tokens:
        out["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return out


def tool_call_json(call_id: str, name: str, arguments: str) -> JSON:
    """One complete function tool call, arguments as a JSON string."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(text: str, tool_calls: list[JSON]) -> JSON:
    """A response message; content is null when the answer is only tool calls."""
    message: JSON = {
        "role": "assistant",
        "content": text if text or not tool_calls else None,
        "refusal": None,
    }
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def completion_json(
    *, completion_id: str, created: int, model: str, message: JSON, finish: str, usage: JSON
) -> JSON:
    """A one-choice `chat.completion` object."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }


class ChunkWriter:
    """Serialises `chat.completion.chunk` payloads sharing one id, timestamp and model."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self._head = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }

    def delta(self, delta: JSON, finish: str | None = None) -> bytes:
        """A chunk carrying `delta` for choice 0 (and its finish reason, at the end)."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return orjson.dumps({**self._head, "choices": [choice]})

    def finish(self, reason: str) -> bytes:
        """The chunk that ends choice 0: an empty delta and the finish reason."""
        return self.delta({}, reason)

    def usage(self, usage: JSON) -> bytes:
        """The usage-only chunk OpenAI sends last when `include_usage` was asked."""
        return orjson.dumps({**self._head, "choices": [], "usage": usage})


def tool_call_delta(index: int, *, call_id: str | None, name: str | None, arguments: str) -> JSON:
    """A delta with one tool-call fragment (id and name only in a call's first fragment)."""
    call: JSON = {"index": index}
    function: JSON = {"arguments": arguments}
    if call_id is not None:
        call["id"] = call_id
        call["type"] = "function"
    if name is not None:
        function["name"] = name
    call["function"] = function
    return {"tool_calls": [call]}


def unreadable_event(provider: str) -> UpstreamError:
    """The error for a stream event that is not JSON or lacks what its type promises."""
    return UpstreamError(
        f"{provider} sent a stream event RouterAI could not read",
        code="upstream_invalid_response",
    )


def decode_event(raw: bytes, provider: str) -> JSON:
    """One streamed JSON object; an unreadable one is the upstream's failure (502)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise unreadable_event(provider)
    return data
