"""The upstream HTTP/1.1 client against real servers on 127.0.0.1 that misbehave on cue."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway.errors import (
    UpstreamError,
    UpstreamResponseTooLarge,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.providers.base import UpstreamRequest
from gateway.providers.http1 import (
    Http1Client,
    UpstreamConnectError,
    UpstreamDisconnected,
    UpstreamTooLarge,
)
from gateway.providers.transport import Transport
from tests.fixtures.servers import free_port, self_signed_certificate


@dataclass
class Seen:
    """What the server received: one entry per connection, each the requests on it; and
    how many connections the client closed."""

    connections: list[list[bytes]] = field(default_factory=list)
    closed_by_client: int = 0


# Given a request (head and body as received) and its place on its connection: the bytes
# to write back, and whether to keep the connection open after them.
Behaviour = Callable[[bytes, int], Awaitable[tuple[bytes, bool]]]
DROP = (b"", False)


def answer(body: bytes, *, status: str = "200 OK", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        status.encode(),
        len(body),
        extra,
        body,
    )


@asynccontextmanager
async def server(
    behaviour: Behaviour, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests: list[bytes] = []
        seen.connections.append(requests)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                request = head + await reader.readexactly(length)
                requests.append(request)
                reply, keep_open = await behaviour(request, len(requests))
                writer.write(reply)
                await writer.drain()
                if not keep_open:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            seen.closed_by_client += 1
        writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    port = listener.sockets[0].getsockname()[1]
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://{'localhost' if tls else '127.0.0.1'}:{port}", seen
    finally:
        listener.close()


@pytest.fixture
async def client() -> AsyncIterator[Http1Client]:
    client = Http1Client(connect_timeout_s=1, read_timeout_s=0.5)
    yield client
    await client.close()


async def echo_ok(request: bytes, exchange: int) -> tuple[bytes, bool]:
    return answer(b'{"exchange": %d}' % exchange), True


async def test_requests_reuse_one_kept_alive_connection_and_arrive_exactly(
    client: Http1Client,
) -> None:
    async with server(echo_ok) as (url, seen):
        for exchange in (1, 2, 3):
            status, body = await client.request(
                "POST",
                f"{url}/v1/chat/completions?x=1",
                {"Authorization": "Bearer sk-test", "Content-Type": "application/json"},
                b'{"model": "m"}',
            )
            assert (status, body) == (200, b'{"exchange": %d}' % exchange)
    assert len(seen.connections) == 1
    head, _, payload = seen.connections[0][0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/chat/completions?x=1 HTTP/1.1"
    assert f"Host: {url.removeprefix('http://')}".encode() in lines
    assert b"Authorization: Bearer sk-test" in lines
    assert b"Content-Length: 14" in lines
    assert payload == b'{"model": "m"}'


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.example.com/v1/chat", b"api.example.com"),
        ("http://localhost:11434/api/chat", b"localhost:11434"),
        ("http://[::1]:11434/api/chat?x=1", b"[::1]:11434"),
    ],
)
def test_the_host_header_names_the_port_only_when_it_is_not_the_default(
    client: Http1Client, url: str, host: bytes
) -> None:
    assert client._target(url)[1] == host


async def test_chunked_and_gzipped_answers_are_decoded(client: Http1Client) -> None:
    document = b'{"choices": []}' * 200
    packed = gzip.compress(document)
    half = len(packed) // 2

    async def chunked_gzip(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n"
            % (half, packed[:half], len(packed) - half, packed[half:])
        ), True

    async with server(chunked_gzip) as (url, _):
        assert await client.request("POST", url, {}, b"{}") == (200, document)


async def test_an_informational_answer_is_skipped_for_the_final_one(client: Http1Client) -> None:
    async def early_hints(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + answer(b'{"final": 1}'), True

    async with server(early_hints) as (url, _):
        assert await client.request("POST", url, {}, b"{}") == (200, b'{"final": 1}')
        assert await client.request("POST", url, {}, b"{}") == (200, b'{"final": 1}')


async def test_an_error_status_comes_back_with_its_body(client: Http1Client) -> None:
    async def overloaded(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return answer(b'{"error": {"message": "busy"}}', status="503 Service Unavailable"), True

    async with server(overloaded) as (url, _):
        assert await client.request("POST", url, {}, b"{}") == (
            503,
            b'{"error": {"message": "busy"}}',
        )


async def test_a_connection_the_server_asks_to_close_is_not_reused(client: Http1Client) -> None:
    async def close_each(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return answer(b"{}", extra=b"Connection: close\r\n"), False

    async with server(close_each) as (url, seen):
        for _ in range(2):
            assert await client.request("POST", url, {}, b"{}") == (200, b"{}")
    assert [len(requests) for requests in seen.connections] == [1, 1]


async def test_a_connection_idle_past_the_keep_alive_time_is_closed_not_reused() -> None:
    client = Http1Client(connect_timeout_s=1, read_timeout_s=1, keepalive_s=0.2)
    try:
        async with server(echo_ok) as (url, seen):
            await client.request("POST", url, {}, b"{}")
            await client.request("POST", url, {}, b"{}")  # soon after: the same connection
            await asyncio.sleep(0.3)
            assert await client.request("POST", url, {}, b"{}") == (200, b'{"exchange": 1}')
            await wait_for_the_client_to_close(seen)
        assert [len(requests) for requests in seen.connections] == [2, 1]
    finally:
        await client.close()


async def test_a_kept_alive_connection_dropped_before_answering_is_retried_once_anew(
    client: Http1Client,
) -> None:
    async def drop_second_on_first_connection(request: bytes, exchange: int) -> tuple[bytes, bool]:
        if len(seen.connections) == 1 and exchange == 2:
            return DROP  # as a server may drop a connection it holds idle
        return answer(b"{}"), True

    async with server(drop_second_on_first_connection) as (url, seen):
        assert await client.request("POST", url, {}, b"{}") == (200, b"{}")
        assert await client.request("POST", url, {}, b"{}") == (200, b"{}")
    assert [len(requests) for requests in seen.connections] == [2, 1]


async def test_a_new_connection_dropped_before_answering_fails_without_retrying(
    client: Http1Client,
) -> None:
    async def drop(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return DROP

    async with server(drop) as (url, seen):
        with pytest.raises(UpstreamDisconnected):
            await client.request("POST", url, {}, b"{}")
    assert len(seen.connections) == 1


async def test_an_answer_cut_short_is_a_disconnect(client: Http1Client) -> None:
    async def cut(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return answer(b'{"long": "answer"}')[:-5], False

    async with server(cut) as (url, _):
        with pytest.raises(UpstreamDisconnected):
            await client.request("POST", url, {}, b"{}")


async def never_answer_first(request: bytes, exchange: int) -> tuple[bytes, bool]:
    """POST /first gets nothing, on a connection kept open: the server reads on, and so
    sees the client close it."""
    return (b"" if request.startswith(b"POST /first ") else answer(b"{}")), True


async def wait_for_the_client_to_close(seen: Seen) -> None:
    async with asyncio.timeout(2):
        while seen.closed_by_client == 0:
            await asyncio.sleep(0.01)


async def test_silence_past_the_read_timeout_is_a_timeout_and_the_connection_is_closed(
    client: Http1Client,
) -> None:
    async with server(never_answer_first) as (url, seen):
        with pytest.raises(TimeoutError):
            await client.request("POST", f"{url}/first", {}, b"{}")
        await wait_for_the_client_to_close(seen)  # a late answer can never be read as the next
        assert await client.request("POST", f"{url}/next", {}, b"{}") == (200, b"{}")
    assert len(seen.connections) == 2


async def test_a_cancelled_caller_leaves_no_half_read_connection_behind(
    client: Http1Client,
) -> None:
    async with server(never_answer_first) as (url, seen):
        waiting = asyncio.ensure_future(client.request("POST", f"{url}/first", {}, b"{}"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await wait_for_the_client_to_close(seen)
        assert await client.request("POST", f"{url}/next", {}, b"{}") == (200, b"{}")
    assert len(seen.connections) == 2


async def test_nothing_listening_is_a_connect_error(client: Http1Client) -> None:
    with pytest.raises(UpstreamConnectError):
        await client.request("POST", f"http://127.0.0.1:{free_port()}/v1", {}, b"{}")


async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(
    client: Http1Client,
) -> None:
    async with server(echo_ok) as (url, seen):
        with pytest.raises(ValueError, match="line break"):
            await client.request(
                "POST", url, {"Authorization": "Bearer sk\r\nX-Injected: yes"}, b"{}"
            )
    assert seen.connections == []


async def test_https_is_verified_against_the_given_authorities(tmp_path: Path) -> None:
    key, cert = self_signed_certificate(tmp_path)
    serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    async with server(echo_ok, tls=serving) as (url, _):
        trusted = Http1Client(connect_timeout_s=1, read_timeout_s=1, tls=trusting)
        assert await trusted.request("POST", url, {}, b"{}") == (200, b'{"exchange": 1}')
        await trusted.close()
        stranger = Http1Client(connect_timeout_s=1, read_timeout_s=1)  # system authorities
        with pytest.raises(UpstreamConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await stranger.request("POST", url, {}, b"{}")
        await stranger.close()


@pytest.mark.parametrize(
    ("behaviour", "error", "status"),
    [
        ("refused", UpstreamUnavailable, 503),
        ("hang", UpstreamTimeout, 504),
        ("drop", UpstreamError, 502),
    ],
)
async def test_the_transport_maps_each_failure_to_the_client_s_status(
    behaviour: str, error: type[Exception], status: int
) -> None:
    async def misbehave(request: bytes, exchange: int) -> tuple[bytes, bool]:
        if behaviour == "hang":
            await asyncio.sleep(5)
        return DROP

    transport = Transport(connect_timeout_s=1, read_timeout_s=0.3)
    try:
        async with server(misbehave) as (url, _):
            if behaviour == "refused":
                url = f"http://127.0.0.1:{free_port()}"
            with pytest.raises(error) as raised:
                await transport.post(UpstreamRequest("groq", f"{url}/v1", {}, b"{}"))
        assert type(raised.value) is error
        assert raised.value.status == status  # type: ignore[attr-defined]
        assert "groq" in str(raised.value)
    finally:
        await transport.close()


# -- the cap on an answer's size ------------------------------------------------------------


async def test_an_answer_over_the_cap_is_refused_and_its_connection_closed() -> None:
    async def big_then_small(request: bytes, exchange: int) -> tuple[bytes, bool]:
        size = 1001 if request.startswith(b"POST /big ") else 1000
        return answer(b"x" * size), True

    client = Http1Client(connect_timeout_s=1, read_timeout_s=1, max_body_bytes=1000)
    try:
        async with server(big_then_small) as (url, seen):
            assert await client.request("POST", f"{url}/exact", {}, b"{}") == (200, b"x" * 1000)
            with pytest.raises(UpstreamTooLarge):
                await client.request("POST", f"{url}/big", {}, b"{}")
            await wait_for_the_client_to_close(seen)  # the rest of it is never read
            assert await client.request("POST", f"{url}/exact", {}, b"{}") == (200, b"x" * 1000)
        assert [len(requests) for requests in seen.connections] == [2, 1]
    finally:
        await client.close()


async def test_a_chunked_answer_is_refused_as_it_grows_past_the_cap() -> None:
    async def endless(request: bytes, exchange: int) -> tuple[bytes, bool]:
        chunk = b"400\r\n" + b"x" * 0x400 + b"\r\n"
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 64, True

    client = Http1Client(connect_timeout_s=1, read_timeout_s=1, max_body_bytes=10_000)
    try:
        async with server(endless) as (url, _):  # 64 KiB declared by no header at all
            with pytest.raises(UpstreamTooLarge):
                await client.request("POST", url, {}, b"{}")
    finally:
        await client.close()


async def test_a_compressed_answer_is_held_to_the_cap_once_decoded() -> None:
    bomb = gzip.compress(b"0" * 1_000_000)  # about 1 kB on the wire

    async def gzipped(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return answer(bomb, extra=b"Content-Encoding: gzip\r\n"), True

    client = Http1Client(connect_timeout_s=1, read_timeout_s=1, max_body_bytes=100_000)
    try:
        async with server(gzipped) as (url, _):
            with pytest.raises(UpstreamTooLarge):
                await client.request("POST", url, {}, b"{}")
    finally:
        await client.close()


async def test_the_transport_reports_an_answer_over_the_cap_as_a_502_of_its_own() -> None:
    async def big(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return answer(b'{"data": "' + b"x" * 5000 + b'"}'), True

    transport = Transport(connect_timeout_s=1, read_timeout_s=1, max_response_bytes=4096)
    try:
        async with server(big) as (url, _):
            with pytest.raises(UpstreamResponseTooLarge) as raised:
                await transport.post(UpstreamRequest("together", f"{url}/v1", {}, b"{}"))
        assert raised.value.status == 502
        assert raised.value.code == "upstream_response_too_large"
        assert "together" in raised.value.message and "4,096 bytes" in raised.value.message
    finally:
        await transport.close()


def sse_answer(lines: list[bytes]) -> bytes:
    body = b"".join(lines)
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


async def read_lines(transport: Transport, url: str, received: list[bytes]) -> None:
    async for line in transport.stream(UpstreamRequest("groq", f"{url}/v1", {}, b"{}")):
        received.append(line)


@pytest.mark.parametrize(
    "lines",
    [
        [b"data: %d\n\n" % i for i in range(1000)],  # 4,096 bytes reached line by line
        [b"data: 1\n\n", b"data: " + b"x" * 2_000_000 + b"\n\n"],  # a line past any cap
    ],
    ids=["many lines", "one endless line"],
)
async def test_a_stream_is_cut_off_at_the_cap_with_an_error_of_its_own(lines: list[bytes]) -> None:
    async def stream(request: bytes, exchange: int) -> tuple[bytes, bool]:
        return sse_answer(lines), True

    transport = Transport(connect_timeout_s=1, read_timeout_s=1, max_response_bytes=4096)
    received: list[bytes] = []
    try:
        async with server(stream) as (url, _):
            with pytest.raises(UpstreamResponseTooLarge) as raised:
                await read_lines(transport, url, received)
        assert raised.value.code == "upstream_response_too_large" and "groq" in str(raised.value)
        assert received[:2] == [b"data: 0" if len(lines) > 2 else b"data: 1", b""]
        assert sum(len(line) + 1 for line in received) <= 4096  # nothing past the cap
    finally:
        await transport.close()
