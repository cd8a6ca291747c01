"""`PipelinedRedis`: one Redis connection that every request of a process shares.

redis-py's asyncio client takes a connection from its pool for each command, through a
lock, a condition, a retry wrapper and a stream reader: py-spy put that at a quarter of a
saturated gateway's CPU, for the two script calls a request makes. The hot path's calls
go through this connection instead. Each command is written as soon as it is called and
its future joins a queue; Redis answers in order, so each reply resolves the oldest
future (hiredis packs the commands and parses the replies). Concurrent requests share
round trips without waiting for each other.

What a caller can rely on when something fails:

- redis-py's `ConnectionError`: no connection could be made, so the command was
  never sent and sending it again is safe (the gateway's settle retries on it);
- `ReplyLost`: the connection dropped with the command in flight; it may or may not have
  run, so a caller that moves money must not send it again;
- an error reply raises `ResponseError` (`NoScriptError` for NOSCRIPT), as in redis-py.

The first command after a drop connects again, trying for about 1.6 s before it gives up.
A connection belongs to the event loop that made it; called from another loop, it
connects anew.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Sequence
from typing import Any, cast

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError

CONNECT_TIMEOUT_S = 5.0
CONNECT_RETRIES_S = (0, 0.1, 0.5, 1.0)
"""Waits before each attempt to connect: a Redis restart of a second or so is absorbed."""

Arg = str | bytes | int | float


class ReplyLost(RedisError):
    """The connection dropped after the command was sent: it may or may not have run."""


class PipelinedRedis:
    """Commands over one pipelined connection; built from the address of a redis-py client."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        path: str | None = None,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._address = (host, port, path, tls)
        self._handshake: list[tuple[Arg, ...]] = []
        if password is not None:
            self._handshake.append(("AUTH", username, password) if username else ("AUTH", password))
        if db:
            self._handshake.append(("SELECT", db))
        self._protocol: _RespProtocol | None = None
        self._connecting: asyncio.Task[_RespProtocol] | None = None

    @classmethod
    def like(cls, client: aioredis.Redis) -> PipelinedRedis:
        """A pipelined connection to the server and database `client` uses, over TLS
        with the very context redis-py builds from its URL (`rediss://…?ssl_cert_reqs=…`)."""
        pool = client.connection_pool
        kwargs = pool.connection_kwargs
        tls = None
        if issubclass(pool.connection_class, SSLConnection):
            tls = pool.connection_class(**kwargs).ssl_context.get()
        return cls(
            host=kwargs.get("host", "127.0.0.1"),
            port=int(kwargs.get("port", 6379)),
            path=kwargs["path"]
            if issubclass(pool.connection_class, UnixDomainSocketConnection)
            else None,
            db=int(kwargs.get("db") or 0),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            tls=tls,
        )

    async def execute(self, *args: Arg) -> Any:
        """Send one command and return its reply."""
        protocol = self._current() or await self._reconnect()
        return await protocol.send(args)

    async def execute_many(self, *commands: tuple[Arg, ...]) -> list[Any]:
        """Send several commands back to back (no transaction) and return their replies;
        the first error reply raises, once every reply has arrived."""
        protocol = self._current() or await self._reconnect()
        replies = await asyncio.gather(
            *(protocol.send(command) for command in commands), return_exceptions=True
        )
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return replies

    async def run_script(
        self, script: AsyncScript, keys: Sequence[str], args: Sequence[Arg]
    ) -> Any:
        """Run a script registered with redis-py by its SHA. A server that lost it (a
        restart, a failover) answers NOSCRIPT without running anything, so loading and
        running it again through redis-py cannot run it twice."""
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await script(keys, args)

    async def aclose(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None

    def _current(self) -> _RespProtocol | None:
        """The open connection of this event loop, if there is one."""
        protocol = self._protocol
        if protocol is None or protocol.closed or protocol.loop is not asyncio.get_running_loop():
            return None
        return protocol

    async def _reconnect(self) -> _RespProtocol:
        """The connection, made anew; callers arriving meanwhile share the one attempt."""
        loop = asyncio.get_running_loop()
        task = self._connecting
        if task is None or task.done() or task.get_loop() is not loop:
            task = self._connecting = loop.create_task(self._connect_with_retries(loop))
        return await asyncio.shield(task)

    async def _connect_with_retries(self, loop: asyncio.AbstractEventLoop) -> _RespProtocol:
        for delay in CONNECT_RETRIES_S:
            await asyncio.sleep(delay)
            try:
                self._protocol = await self._connect(loop)
                return self._protocol
            except RedisConnectionError as exc:
                failure = exc
        raise failure

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _RespProtocol:
        host, port, path, tls = self._address
        protocol = None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                if path is not None:
                    transport, protocol = await loop.create_unix_connection(
                        lambda: _RespProtocol(loop), path
                    )
                else:
                    transport, protocol = await loop.create_connection(
                        lambda: _RespProtocol(loop), host, port, ssl=tls
                    )
                # uvloop may return before it calls connection_made
                protocol.connection_made(transport)
                for command in self._handshake:
                    await protocol.send(command)
        except (OSError, TimeoutError, RedisError) as exc:
            if protocol is not None:
                protocol.close()
            where = path or f"{host}:{port}"
            raise RedisConnectionError(f"Error connecting to Redis at {where}: {exc}") from exc
        return protocol


class _RespProtocol(asyncio.Protocol):
    """RESP over one transport: commands out as they come, replies matched in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.closed = False
        self._transport: asyncio.Transport | None = None
        self._reader = hiredis.Reader(replyError=ResponseError)
        self._waiting: deque[asyncio.Future[Any]] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, args: tuple[Arg, ...]) -> asyncio.Future[Any]:
        assert self._transport is not None
        reply = self.loop.create_future()
        self._waiting.append(reply)
        # hiredis' stub declares a 1-tuple; any length is packed
        self._transport.write(hiredis.pack_command(args))  # type: ignore[arg-type]
        return reply

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        try:
            while (reply := self._reader.gets()) is not False:
                waiter = self._waiting.popleft()
                if waiter.done():  # its caller was cancelled; the reply still keeps its place
                    continue
                if isinstance(reply, ResponseError):
                    waiter.set_exception(_error_reply(str(reply)))
                else:
                    waiter.set_result(reply)
        except hiredis.ProtocolError:
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(ReplyLost("Redis closed the connection before replying"))

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()


def _error_reply(message: str) -> ResponseError:
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message)
