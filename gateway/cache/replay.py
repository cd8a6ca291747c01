"""Cached answers back to clients: a fresh chat.completion, or the same answer as an SSE stream.

A streaming request answered from the cache gets a real stream: a role chunk, the content
in small chunks, tool calls, one chunk per choice with its finish reason, the usage chunk
when the client asked for it (`stream_options.include_usage`), then `[DONE]`. The
reverse, `StreamAssembler`, rebuilds a chat.completion from a stream's chunks so that a
streamed miss can be stored once it completes.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson

CHUNK_CHARS = 24  # content per replayed chunk: a few tokens, like a provider's stream
DONE_FRAME = b"data: [DONE]\n\n"


def completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


def fresh_completion(stored: bytes, now: float) -> dict[str, Any]:
    """The stored answer with its own id and creation time."""
    body: dict[str, Any] = orjson.loads(stored)
    body["id"] = completion_id()
    body["created"] = int(now)
    return body


def sse_frames(completion: dict[str, Any], *, include_usage: bool) -> list[bytes]:
    """The SSE `data:` frames (without the final [DONE]) that replay `completion`."""
    base = {
        "id": completion.get("id") or completion_id(),
        "object": "chat.completion.chunk",
        "created": completion.get("created", 0),
        "model": completion.get("model", ""),
    }
    if completion.get("system_fingerprint"):
        base["system_fingerprint"] = completion["system_fingerprint"]
    frames = []
    for choice in completion.get("choices") or []:
        for delta, finish in _choice_deltas(choice):
            chunk = {
                **base,
                "choices": [
                    {
                        "index": choice.get("index", 0),
                        "delta": delta,
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
            }
            frames.append(_frame(chunk))
    usage = completion.get("usage")
    if include_usage and usage is not None:
        frames.append(_frame({**base, "choices": [], "usage": usage}))
    return frames


def _choice_deltas(choice: dict[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    message = choice.get("message") or {}
    deltas: list[tuple[dict[str, Any], str | None]] = [
        ({"role": message.get("role", "assistant"), "content": ""}, None)
    ]
    content = message.get("content")
    if isinstance(content, str):
        deltas += [({"content": piece}, None) for piece in _pieces(content)]
    if message.get("refusal"):
        deltas.append(({"refusal": message["refusal"]}, None))
    for index, call in enumerate(message.get("tool_calls") or []):
        deltas.append(({"tool_calls": [{"index": index, **call}]}, None))
    if message.get("function_call"):
        deltas.append(({"function_call": message["function_call"]}, None))
    deltas.append(({}, choice.get("finish_reason") or "stop"))
    return deltas


def _pieces(text: str) -> list[str]:
    """Split at word boundaries into pieces of about CHUNK_CHARS characters."""
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + CHUNK_CHARS)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space if space > start else end
        pieces.append(text[start:end])
        start = end
    return pieces


def _frame(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


class StreamAssembler:
    """Collects a stream's `data:` payloads into the chat.completion they add up to."""

    def __init__(self) -> None:
        self._head: dict[str, Any] = {}
        self._choices: dict[int, dict[str, Any]] = {}
        self._usage: Any = None
        self.broken = False

    def feed(self, payload: bytes) -> None:
        """One `data:` payload (JSON bytes, without the `data: ` prefix)."""
        if payload.strip() == b"[DONE]":
            return
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            self.broken = True
            return
        if not isinstance(chunk, dict) or "error" in chunk:
            self.broken = True
            return
        for field in ("id", "created", "model", "system_fingerprint"):
            if field in chunk:
                self._head.setdefault(field, chunk[field])
        if chunk.get("usage") is not None:
            self._usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            self._merge(choice)

    def completion(self, usage: dict[str, int] | None = None) -> bytes | None:
        """The assembled chat.completion, or None if the stream was broken or empty."""
        if self.broken or not self._choices:
            return None
        choices = [self._choices[i] for i in sorted(self._choices)]
        for choice in choices:
            calls = choice["message"].pop("_calls", None)
            if calls:
                choice["message"]["tool_calls"] = [calls[i] for i in sorted(calls)]
        body = {
            "id": self._head.get("id") or completion_id(),
            "object": "chat.completion",
            "created": self._head.get("created", 0),
            "model": self._head.get("model", ""),
            "choices": choices,
            "usage": self._usage or usage,
        }
        if self._head.get("system_fingerprint"):
            body["system_fingerprint"] = self._head["system_fingerprint"]
        return orjson.dumps(body)

    def _merge(self, choice: dict[str, Any]) -> None:
        index = int(choice.get("index", 0))
        target = self._choices.setdefault(
            index,
            {
                "index": index,
                "message": {"role": "assistant", "content": None, "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            },
        )
        message = target["message"]
        delta = choice.get("delta") or {}
        if delta.get("role"):
            message["role"] = delta["role"]
        if isinstance(delta.get("content"), str):
            message["content"] = (message["content"] or "") + delta["content"]
        if isinstance(delta.get("refusal"), str):
            message["refusal"] = (message["refusal"] or "") + delta["refusal"]
        for call in delta.get("tool_calls") or []:
            _merge_tool_call(message.setdefault("_calls", {}), call)
        if choice.get("finish_reason"):
            target["finish_reason"] = choice["finish_reason"]


def _merge_tool_call(calls: dict[int, dict[str, Any]], delta: dict[str, Any]) -> None:
    index = int(delta.get("index", 0))
    call = calls.setdefault(
        index, {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
    )
    if delta.get("id"):
        call["id"] = delta["id"]
    function = delta.get("function") or {}
    call["function"]["name"] += function.get("name") or ""
    call["function"]["arguments"] += function.get("arguments") or ""
