"""Reading a request body within a size limit, and answering a client that left mid-body.

`read_body` refuses a declared `Content-Length` over the limit before reading a byte, then
reads chunk by chunk and stops at the chunk that passes the limit (a client may declare
nothing, or less than it sends), so no more than the limit and one chunk is ever held.
A client that disconnects before its body is complete raises Starlette's
`ClientDisconnect`; `ClientGone` is the response for it, which sends nothing.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.errors import PayloadTooLarge

__all__ = ["ClientDisconnect", "ClientGone", "read_body"]


async def read_body(request: Request, *, limit: int, declared: str | None) -> bytes:
    """The body of `request` (`declared`: its Content-Length header, if any); over
    `limit` bytes, `PayloadTooLarge` (413)."""
    if declared is not None and _over(declared, limit):
        raise _too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class ClientGone(Response):
    """The answer to a client that disconnected mid-request: nothing, as nobody would read
    it (the server then ends the exchange quietly)."""

    def __init__(self) -> None:
        super().__init__(status_code=499)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


def _over(declared: str, limit: int) -> bool:
    """Whether a Content-Length says more than `limit` (one that is not a number does not:
    the server has refused it already)."""
    return (
        declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit)
    )


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body exceeds the limit of {limit:,} bytes.")
