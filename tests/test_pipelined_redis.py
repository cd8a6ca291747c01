"""The hot path's pipelined Redis connection, against real Redis servers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from gateway.pipelined_redis import PipelinedRedis, ReplyLost
from tests.fixtures.servers import free_port, self_signed_certificate

pytestmark = pytest.mark.embedded_redis_too


@pytest.fixture
async def wire(async_redis: aioredis.Redis) -> AsyncIterator[PipelinedRedis]:
    connection = PipelinedRedis.like(async_redis)
    yield connection
    await connection.aclose()


async def test_concurrent_commands_each_get_their_own_reply(wire: PipelinedRedis) -> None:
    replies = await asyncio.gather(*(wire.execute("INCRBY", f"n:{i % 7}", i) for i in range(500)))
    expected: dict[int, int] = {}
    for i, reply in enumerate(replies):
        expected[i % 7] = expected.get(i % 7, 0) + i
        assert reply == expected[i % 7]


async def test_it_uses_the_database_and_server_of_the_client_it_was_made_like(
    wire: PipelinedRedis, async_redis: aioredis.Redis
) -> None:
    assert await wire.execute("SET", "shared", "from the wire") == b"OK"
    assert await async_redis.get("shared") == b"from the wire"


async def test_error_replies_raise_as_in_redis_py(wire: PipelinedRedis) -> None:
    await wire.execute("SET", "text", "not a number")
    with pytest.raises(ResponseError, match="not an integer"):
        await wire.execute("INCR", "text")
    with pytest.raises(NoScriptError):
        await wire.execute("EVALSHA", "0" * 40, 0)
    assert await wire.execute("ECHO", "still in step") == b"still in step"


async def test_several_commands_sent_together_reply_in_order(wire: PipelinedRedis) -> None:
    assert await wire.execute_many(("SET", "a", 1), ("INCR", "a"), ("GET", "a")) == [
        b"OK",
        2,
        b"2",
    ]
    with pytest.raises(ResponseError):
        await wire.execute_many(("SET", "b", "text"), ("INCR", "b"), ("SET", "c", 3))
    assert await wire.execute("GET", "c") == b"3"  # the commands after the error ran


async def test_a_script_the_server_lost_is_loaded_again_and_runs_once(
    wire: PipelinedRedis, async_redis: aioredis.Redis
) -> None:
    script = async_redis.register_script("return redis.call('INCR', KEYS[1])")
    assert await wire.run_script(script, ["runs"], []) == 1  # first use: not loaded yet
    assert await wire.run_script(script, ["runs"], []) == 2
    await async_redis.script_flush()
    assert await wire.run_script(script, ["runs"], []) == 3


async def test_a_cancelled_caller_does_not_shift_the_replies(wire: PipelinedRedis) -> None:
    slow = asyncio.ensure_future(wire.execute("BLPOP", "nothing-here", 0.2))
    await asyncio.sleep(0.05)  # sent, waiting for its reply
    slow.cancel()
    assert await wire.execute("ECHO", "mine") == b"mine"


async def test_a_drop_in_flight_is_reply_lost_and_the_next_call_reconnects(
    wire: PipelinedRedis, async_redis: aioredis.Redis
) -> None:
    client_id = await wire.execute("CLIENT", "ID")
    blocked = asyncio.ensure_future(wire.execute("BLPOP", "nothing-here", 5))
    await asyncio.sleep(0.05)
    await async_redis.client_kill_filter(_id=client_id)
    with pytest.raises(ReplyLost):
        await blocked
    assert await wire.execute("ECHO", "back") == b"back"
    assert await wire.execute("CLIENT", "ID") != client_id


async def test_no_server_is_a_connection_error_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    wire = PipelinedRedis(port=port)
    with pytest.raises(RedisConnectionError):
        await wire.execute("PING")


async def test_any_bytes_and_numbers_travel_intact(wire: PipelinedRedis) -> None:
    value = b"line\r\nbreak \x00 \xff"
    await wire.execute("SET", "raw", value)
    assert await wire.execute("GET", "raw") == value
    assert await wire.execute("INCRBYFLOAT", "sum", 0.5) == b"0.5"
    assert await wire.execute("INCRBY", "count", 12) == 12


@pytest.fixture
def tls_redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server that speaks only TLS (a self-signed certificate) and wants a
    password."""
    key, cert = self_signed_certificate(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--tls-cert-file",
            cert,
            "--tls-key-file",
            key,
            "--tls-ca-cert-file",
            cert,
            "--tls-auth-clients",
            "no",
            "--requirepass",
            "sekret",
            "--save",
            "",
            "--dir",
            tmp_path,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"rediss://:sekret@127.0.0.1:{port}/3?ssl_cert_reqs=none"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_over_tls_with_a_password_it_follows_the_client_s_url(tls_redis_url: str) -> None:
    client = aioredis.Redis.from_url(tls_redis_url)
    wire = PipelinedRedis.like(client)
    try:
        assert await wire.execute("SET", "secure", "yes") == b"OK"
        assert await client.get("secure") == b"yes"  # the same database (3), over TLS
    finally:
        await wire.aclose()
        await client.aclose()
