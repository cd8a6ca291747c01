"""Replaying a cached answer as SSE, and assembling a stream back into an answer."""

from __future__ import annotations

import orjson

from gateway.cache.replay import StreamAssembler, fresh_completion, sse_frames
from tests.cache.conftest import completion


def payloads(frames: list[bytes]) -> list[dict]:
    assert all(f.startswith(b"data: ") and f.endswith(b"\n\n") for f in frames)
    return [orjson.loads(f[6:-2]) for f in frames]


def test_a_replay_streams_role_content_finish_and_usage() -> None:
    text = "The capital of France is Paris, a city on the Seine with many museums."
    chunks = payloads(sse_frames(completion(text), include_usage=True))
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert "".join(content) == text
    assert len([c for c in content if c]) > 2  # chunked, not one blob
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 19


def test_usage_only_when_asked() -> None:
    chunks = payloads(sse_frames(completion("hi"), include_usage=False))
    assert all("usage" not in c for c in chunks)


def test_tool_calls_are_replayed_and_reassembled() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}}
    answer = completion("", finish_reason="tool_calls")
    answer["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
    assembler = StreamAssembler()
    for frame in sse_frames(answer, include_usage=True):
        assembler.feed(frame[6:-2])
    rebuilt = orjson.loads(assembler.completion() or b"null")
    assert rebuilt["choices"][0]["message"]["tool_calls"] == [call]
    assert rebuilt["choices"][0]["finish_reason"] == "tool_calls"


def test_a_stream_assembles_into_the_completion_it_carried() -> None:
    original = completion("Hello there, general Kenobi.")
    assembler = StreamAssembler()
    for frame in sse_frames(original, include_usage=True):
        assembler.feed(frame[6:-2])
    assembler.feed(b"[DONE]")
    rebuilt = orjson.loads(assembler.completion() or b"null")
    assert rebuilt["choices"][0]["message"] == original["choices"][0]["message"]
    assert rebuilt["usage"] == original["usage"]
    assert rebuilt["object"] == "chat.completion"


def test_a_broken_stream_assembles_to_nothing() -> None:
    assembler = StreamAssembler()
    assembler.feed(b'{"choices":[{"index":0,"delta":{"content":"par"}}]}')
    assembler.feed(b'{"error":{"message":"upstream broke"}}')
    assert assembler.completion() is None
    assert StreamAssembler().completion() is None


def test_a_hit_gets_its_own_id_and_time() -> None:
    fresh = fresh_completion(orjson.dumps(completion("x")), now=1_900_000_000.5)
    assert fresh["id"] != "chatcmpl-upstream" and fresh["id"].startswith("chatcmpl-")
    assert fresh["created"] == 1_900_000_000
