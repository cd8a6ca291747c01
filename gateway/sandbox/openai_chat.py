"""OpenAI's Chat Completions wire protocol, pure: request parsing and response rendering.

Shared by every OpenAI-compatible provider (OpenAI, Groq, Together, Ollama's /v1).
`parse_chat` validates a request body as OpenAI does and plans one `GenerationRequest`
per choice; `completion_body` and `completion_chunks` render the generations as a
`chat.completion` object or as `chat.completion.chunk` SSE frames ending in `[DONE]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.pricing.catalog import ModelKind
from gateway.sandbox.errors import SandboxError
from gateway.sandbox.framing import SSE_DONE
from gateway.sandbox.generation import Finish, Generation, GenerationRequest
from gateway.sandbox.models import ModelDirectory
from gateway.sandbox.openai_tools import count_message_tokens, pick_tool, tool_call_id
from gateway.sandbox.text import digest, variant

FINISH_REASONS = {
    Finish.STOP: "stop",
    Finish.STOP_SEQUENCE: "stop",
    Finish.LENGTH: "length",
    Finish.TOOL_CALL: "tool_calls",
}
_USAGE_DETAILS = {
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated chat request: what to generate for each choice, and how to send it."""

    model: str
    stream: bool
    include_usage: bool
    prompt_tokens: int
    choices: tuple[GenerationRequest, ...]


@dataclass(frozen=True, slots=True)
class ChatMeta:
    """The identity fields every object and chunk of one completion repeats."""

    id: str
    created: int
    model: str
    fingerprint: str


def _invalid(message: str, param: str | None, code: str | None = None) -> SandboxError:
    return SandboxError(400, message, param=param, code=code)


def _model(body: Mapping[str, Any], models: ModelDirectory, provider: str) -> int:
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise _invalid("you must provide a model parameter", "model")
    model = models.find(provider, name, ModelKind.CHAT)
    if model is None:
        raise SandboxError(
            404,
            f"The model `{name}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return model.max_output_tokens


def _max_tokens(body: Mapping[str, Any], limit: int) -> int | None:
    param = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    value = body.get(param)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _invalid(f"Invalid '{param}': expected an integer of at least 1.", param)
    if value > limit:
        raise _invalid(
            f"max_tokens is too large: {value}. This model supports at most {limit} "
            f"completion tokens, whereas you provided {value}.",
            param,
            "invalid_value",
        )
    return value


def _stops(body: Mapping[str, Any]) -> tuple[str, ...]:
    stop = body.get("stop")
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,)
    if isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop):
        return tuple(stop)
    raise _invalid("Invalid 'stop': expected a string or an array of up to 4 strings.", "stop")


def _response_format(
    body: Mapping[str, Any], messages: list[Any]
) -> tuple[bool, Mapping[str, Any] | None]:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if fmt is None or kind == "text":
        return False, None
    if kind == "json_object":
        if b"json" not in orjson.dumps(messages).lower():
            raise _invalid(
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
                "messages",
            )
        return True, None
    if kind == "json_schema" and isinstance(fmt, Mapping):
        spec = fmt.get("json_schema")
        if not isinstance(spec, Mapping) or not spec.get("name"):
            raise _invalid(
                "Missing required parameter: 'response_format.json_schema.name'.",
                "response_format.json_schema.name",
            )
        schema = spec.get("schema")
        return True, schema if isinstance(schema, Mapping) else {"type": "object"}
    raise _invalid("Invalid 'response_format.type'.", "response_format.type")


def _messages(body: Mapping[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages"
        )
    if not all(isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in messages):
        raise _invalid("Invalid 'messages': every message needs a 'role'.", "messages")
    return messages


def _choice_count(body: Mapping[str, Any]) -> int:
    n = body.get("n", 1)
    if n is None:
        return 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        raise _invalid("Invalid 'n': expected an integer from 1 to 128.", "n")
    return n


def parse_chat(body: Mapping[str, Any], models: ModelDirectory, provider: str) -> ChatRequest:
    """Validate an OpenAI chat request; raise `SandboxError` where OpenAI would answer 4xx."""
    limit = _model(body, models, provider)
    messages = _messages(body)
    stream = bool(body.get("stream"))
    if body.get("stream_options") is not None and not stream:
        raise _invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    json_mode, schema = _response_format(body, messages)
    tool = pick_tool(body, messages)
    seed = digest(
        orjson.dumps(messages, option=orjson.OPT_SORT_KEYS), str(body.get("seed")).encode()
    )
    base = GenerationRequest(seed, _max_tokens(body, limit), _stops(body), json_mode, schema, tool)
    choices = tuple(
        GenerationRequest(variant(seed, i), base.max_tokens, base.stops, json_mode, schema, tool)
        for i in range(_choice_count(body))
    )
    options = body.get("stream_options")
    include_usage = isinstance(options, Mapping) and bool(options.get("include_usage"))
    prompt_tokens = count_message_tokens(messages, body.get("tools"))
    return ChatRequest(str(body["model"]), stream, include_usage, prompt_tokens, choices)


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        **_USAGE_DETAILS,
    }


def _message(gen: Generation, seed: bytes) -> dict[str, Any]:
    if gen.tool is None:
        return {"role": "assistant", "content": gen.text, "refusal": None, "annotations": []}
    call = {
        "id": tool_call_id(seed),
        "type": "function",
        "function": {"name": gen.tool.name, "arguments": gen.text},
    }
    return {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "annotations": [],
        "tool_calls": [call],
    }


def completion_body(chat: ChatRequest, gens: list[Generation], meta: ChatMeta) -> bytes:
    """The `chat.completion` JSON object for the generated choices."""
    choices = [
        {
            "index": i,
            "message": _message(gen, chat.choices[i].seed),
            "logprobs": None,
            "finish_reason": FINISH_REASONS[gen.finish],
        }
        for i, gen in enumerate(gens)
    ]
    return orjson.dumps(
        {
            "id": meta.id,
            "object": "chat.completion",
            "created": meta.created,
            "model": meta.model,
            "choices": choices,
            "usage": _usage(chat.prompt_tokens, sum(g.token_count for g in gens)),
            "service_tier": "default",
            "system_fingerprint": meta.fingerprint,
        }
    )


def _first_delta(gen: Generation, seed: bytes) -> dict[str, Any]:
    if gen.tool is None:
        return {"role": "assistant", "content": "", "refusal": None}
    call = {
        "index": 0,
        "id": tool_call_id(seed),
        "type": "function",
        "function": {"name": gen.tool.name, "arguments": ""},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}


def _token_delta(gen: Generation, token: str) -> dict[str, Any]:
    if gen.tool is None:
        return {"content": token}
    return {"tool_calls": [{"index": 0, "function": {"arguments": token}}]}


def completion_chunks(chat: ChatRequest, gens: list[Generation], meta: ChatMeta) -> list[bytes]:
    """The SSE frames of the streamed completion, `data: [DONE]` included."""
    head = orjson.dumps(
        {
            "id": meta.id,
            "object": "chat.completion.chunk",
            "created": meta.created,
            "model": meta.model,
            "system_fingerprint": meta.fingerprint,
        }
    )
    prefix = b"data: " + head[:-1] + b',"choices":['
    suffix = b'],"usage":null}\n\n' if chat.include_usage else b"]}\n\n"

    def frame(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return prefix + orjson.dumps(choice) + suffix

    frames: list[bytes] = []
    for index, gen in enumerate(gens):
        frames.append(frame(index, _first_delta(gen, chat.choices[index].seed)))
        frames.extend(frame(index, _token_delta(gen, token)) for token in gen.tokens)
        frames.append(frame(index, {}, FINISH_REASONS[gen.finish]))
    if chat.include_usage:
        usage = _usage(chat.prompt_tokens, sum(g.token_count for g in gens))
        frames.append(prefix + b'],"usage":' + orjson.dumps(usage) + b"}\n\n")
    frames.append(SSE_DONE)
    return frames
