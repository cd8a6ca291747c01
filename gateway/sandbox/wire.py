"""The one ASGI response every sandbox endpoint answers with: the I/O edge of the sandbox.

A `WireResponse` holds the finished bytes (one body, or the frames of a stream) and
decides only *how* they go out: after which wait, one frame at a time or all at once,
cut off mid-way (the server drops the connection), or never (a hang that waits for
the client to give up). With a zero `Timing` it never sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import Receive, Scope, Send

SSE_TYPE = b"text/event-stream; charset=utf-8"
JSON_TYPE = b"application/json"
NDJSON_TYPE = b"application/x-ndjson"

Headers = list[tuple[bytes, bytes]]


class StreamCut(Exception):
    """Raised after a partial response so the server closes the connection abruptly."""


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds to wait before the first byte, and between two stream frames."""

    first_s: float = 0.0
    per_chunk_s: float = 0.0

    def delayed(self, extra_s: float) -> Timing:
        """The same timing with `extra_s` more before the first byte."""
        return self if not extra_s else Timing(self.first_s + extra_s, self.per_chunk_s)


NO_WAIT = Timing()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class WireResponse:
    """Bytes to send, with the timing and the fault (cut, hang) of their sending."""

    __slots__ = ("chunks", "cut_after", "hang", "headers", "status", "streaming", "timing")

    def __init__(
        self,
        chunks: Sequence[bytes],
        *,
        status: int = 200,
        headers: Headers | None = None,
        streaming: bool = False,
        timing: Timing = NO_WAIT,
        cut_after: int | None = None,
        hang: bool = False,
    ) -> None:
        self.chunks = chunks
        self.status = status
        self.headers = headers if headers is not None else [(b"content-type", JSON_TYPE)]
        self.streaming = streaming
        self.timing = timing
        self.cut_after = cut_after
        self.hang = hang

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hang:
            await _until_disconnect(receive)
            return
        if self.timing.first_s > 0:
            await asyncio.sleep(self.timing.first_s)
        if self.streaming:
            await self._send_stream(send)
        else:
            await self._send_whole(send)

    async def _start(self, send: Send, headers: Headers) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": headers})

    async def _send_whole(self, send: Send) -> None:
        body = b"".join(self.chunks)
        headers = [*self.headers, (b"content-length", str(len(body)).encode())]
        await self._start(send, headers)
        if self.cut_after is None:
            await send({"type": "http.response.body", "body": body})
            return
        kept = body[: min(self.cut_after, max(len(body) - 1, 0))]
        await send({"type": "http.response.body", "body": kept, "more_body": True})
        raise StreamCut(f"body cut after {len(kept)} of {len(body)} bytes")

    async def _send_stream(self, send: Send) -> None:
        chunks = self.chunks
        cut = None if self.cut_after is None else min(self.cut_after, max(len(chunks) - 1, 0))
        await self._start(send, self.headers)
        if self.timing.per_chunk_s <= 0:
            body = b"".join(chunks if cut is None else chunks[:cut])
            await send({"type": "http.response.body", "body": body, "more_body": cut is not None})
        else:
            for index, chunk in enumerate(chunks):
                if index == cut:
                    break
                if index:
                    await asyncio.sleep(self.timing.per_chunk_s)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if cut is None:
                await send({"type": "http.response.body", "body": b""})
        if cut is not None:
            raise StreamCut(f"stream cut after {cut} of {len(chunks)} frames")
