"""Byte framing of streamed answers: SSE events and NDJSON lines, and how to corrupt them."""

from __future__ import annotations

from typing import Any

import orjson

SSE_DONE = b"data: [DONE]\n\n"
_DATA = b"data: "


def sse(payload: Any) -> bytes:
    """One unnamed SSE event carrying `payload` as JSON (OpenAI's framing)."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def sse_event(name: str, payload: Any) -> bytes:
    """One named SSE event carrying `payload` as JSON (Anthropic's framing)."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def ndjson(payload: Any) -> bytes:
    """One NDJSON line (Ollama's framing)."""
    return orjson.dumps(payload) + b"\n"


def corrupt(chunk: bytes) -> bytes:
    """The same frame with its JSON payload cut in half, so it no longer parses."""
    start = chunk.find(_DATA)
    start = 0 if start < 0 else start + len(_DATA)
    body = chunk[start:].rstrip(b"\n")
    ending = chunk[start + len(body) :]
    return chunk[:start] + body[: max(1, len(body) // 2)] + ending


def corrupt_stream(chunks: list[bytes]) -> list[bytes]:
    """The stream with its second frame (its first when alone) made invalid JSON."""
    if not chunks:
        return chunks
    index = 1 if len(chunks) > 1 else 0
    return [*chunks[:index], corrupt(chunks[index]), *chunks[index + 1 :]]


def corrupt_body(body: bytes) -> bytes:
    """A JSON body cut in half: complete on the wire, invalid as JSON."""
    return body[: max(1, len(body) // 2)]
