"""Byte framing of streamed answers: SSE events and NDJSON lines, and how to corrupt or pad
them."""

from __future__ import annotations

from typing import Any

import orjson

SSE_DONE = b"data: [DONE]\n\n"
_DATA = b"data: "
PAD_LINE_BYTES = 8 * 1024
"""The longest line of padding in a stream (a client's line reader has a limit of its own)."""


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


def pad_body(body: bytes, size: int) -> bytes:
    """The same JSON document `size` bytes longer: spaces after its opening brace."""
    start = body.find(b"{") + 1
    return body[:start] + b" " * size + body[start:]


def pad_stream(chunks: list[bytes], size: int, *, ndjson: bool) -> list[bytes]:
    """The stream with at least `size` bytes of lines that carry nothing (SSE comments, or
    NDJSON lines of spaces) before its last frame, so the whole answer has been sent first."""
    pads = []
    while size > 0:
        piece = max(min(size, PAD_LINE_BYTES), 3)
        pads.append(b" " * (piece - 1) + b"\n" if ndjson else b":" + b" " * (piece - 3) + b"\n\n")
        size -= piece
    return [*chunks[:-1], *pads, *chunks[-1:]]
