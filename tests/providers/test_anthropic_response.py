"""Anthropic messages and SSE streams translate to OpenAI completions and chunks (pure)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.errors import NotFound, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from gateway.providers.anthropic import AnthropicAdapter
from gateway.providers.base import Usage
from tests.fixtures.openai_spec import validate
from tests.providers.streams import assemble, feed_all

NOW = 1_750_000_000
ADAPTER = AnthropicAdapter("http://up", clock=lambda: NOW + 0.7)
USAGE = {"input_tokens": 12, "output_tokens": 7}
TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}


def message(content: list[dict[str, Any]], stop_reason: str = "end_turn", **usage: int) -> bytes:
    return orjson.dumps(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-20250514",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {**USAGE, **usage},
        }
    )


def parse(raw: bytes) -> tuple[dict[str, Any], Usage | None]:
    result = ADAPTER.parse_chat(raw)
    body = orjson.loads(result.body)
    validate("CreateChatCompletionResponse", body)
    assert result.model == body["model"] == "claude-sonnet-4-20250514"
    return body, result.usage


def test_a_text_message_becomes_a_chat_completion() -> None:
    body, usage = parse(message([{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]))
    assert body["id"] == "msg_1" and body["object"] == "chat.completion"
    assert body["created"] == NOW
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    assert usage == Usage(12, 7)


def test_tool_use_blocks_become_tool_calls_with_json_arguments() -> None:
    thinking = {"type": "thinking", "thinking": "hmm", "signature": "s"}
    body, _ = parse(
        message([thinking, {"type": "text", "text": "Let me check."}, TOOL_USE], "tool_use")
    )
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check."
    [call] = choice["message"]["tool_calls"]
    assert call == {
        "id": "toolu_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
    }


def test_a_message_of_only_tool_calls_has_null_content() -> None:
    body, _ = parse(message([TOOL_USE], "tool_use"))
    assert body["choices"][0]["message"]["content"] is None


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("something_new", "stop"),
    ],
)
def test_stop_reasons_map_to_finish_reasons(stop_reason: str, finish: str) -> None:
    body, _ = parse(message([{"type": "text", "text": "x"}], stop_reason))
    assert body["choices"][0]["finish_reason"] == finish


def test_cached_prompt_tokens_count_as_prompt_tokens() -> None:
    raw = message([], cache_creation_input_tokens=100, cache_read_input_tokens=1000)
    body, usage = parse(raw)
    assert body["usage"]["prompt_tokens"] == 1112
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 1000}
    assert usage == Usage(1112, 7)


# -- streams ---------------------------------------------------------------------------------


def event(name: str, **data: Any) -> list[bytes]:
    """One SSE event as the transport yields it: event line, data line, blank line."""
    return [f"event: {name}".encode(), b"data: " + orjson.dumps({"type": name, **data}), b""]


def start(**usage: int) -> list[bytes]:
    msg = orjson.loads(message([], "end_turn", **usage))
    return event(
        "message_start",
        message={**msg, "stop_reason": None, "usage": {**msg["usage"], "output_tokens": 1}},
    )


def text_block(index: int, *parts: str) -> list[bytes]:
    lines = event("content_block_start", index=index, content_block={"type": "text", "text": ""})
    for part in parts:
        lines += event(
            "content_block_delta", index=index, delta={"type": "text_delta", "text": part}
        )
    return lines + event("content_block_stop", index=index)


def tool_block(index: int, call_id: str, *json_parts: str) -> list[bytes]:
    block = {"type": "tool_use", "id": call_id, "name": "get_weather", "input": {}}
    lines = event("content_block_start", index=index, content_block=block)
    for part in json_parts:
        delta = {"type": "input_json_delta", "partial_json": part}
        lines += event("content_block_delta", index=index, delta=delta)
    return lines + event("content_block_stop", index=index)


def end(stop_reason: str = "end_turn", output_tokens: int = 3) -> list[bytes]:
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    return event("message_delta", delta=delta, usage={"output_tokens": output_tokens}) + event(
        "message_stop"
    )


TEXT_STREAM = [*start(), *event("ping"), b": a comment", *text_block(0, "Hel", "lo", "!"), *end()]


@pytest.mark.parametrize("include_usage", [True, False])
def test_a_text_stream_becomes_chunks(include_usage: bool) -> None:
    translator = ADAPTER.stream_translator(include_usage=include_usage)
    chunks = feed_all(translator, TEXT_STREAM)
    answer = assemble(chunks)
    assert answer.role == "assistant" and answer.text == "Hello!" and answer.finish == "stop"
    assert {c["id"] for c in chunks} == {"msg_1"} and {c["created"] for c in chunks} == {NOW}
    assert translator.finished and translator.content_sent
    assert translator.usage == Usage(12, 3)
    expected = [{"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}]
    assert answer.usage_chunks == (expected if include_usage else [])
    if include_usage:
        assert chunks[-1]["choices"] == []


def test_tool_use_blocks_stream_as_indexed_tool_call_deltas() -> None:
    lines = [
        *start(),
        *text_block(0, "Checking."),
        *tool_block(1, "toolu_a", '{"ci', 'ty": "Oslo"}'),
        *tool_block(2, "toolu_b", "", '{"city": "Rome"}'),
        *end("tool_use", 20),
    ]
    answer = assemble(feed_all(ADAPTER.stream_translator(include_usage=False), lines))
    assert answer.text == "Checking." and answer.finish == "tool_calls"
    assert answer.tool_calls == {
        0: {
            "id": "toolu_a",
            "type": "function",
            "name": "get_weather",
            "arguments": '{"city": "Oslo"}',
        },
        1: {
            "id": "toolu_b",
            "type": "function",
            "name": "get_weather",
            "arguments": '{"city": "Rome"}',
        },
    }


def test_a_tool_called_without_input_gets_empty_object_arguments() -> None:
    lines = [*start(), *tool_block(0, "toolu_a", ""), *end("tool_use")]
    answer = assemble(feed_all(ADAPTER.stream_translator(include_usage=False), lines))
    assert answer.tool_calls[0]["arguments"] == "{}"


@pytest.mark.parametrize(
    ("stop_reason", "finish"), [("max_tokens", "length"), ("refusal", "content_filter")]
)
def test_the_stream_finish_reason_is_mapped(stop_reason: str, finish: str) -> None:
    lines = [*start(), *text_block(0, "x"), *end(stop_reason)]
    assert (
        assemble(feed_all(ADAPTER.stream_translator(include_usage=False), lines)).finish == finish
    )


def test_stream_usage_counts_cached_prompt_tokens_and_later_input_counts() -> None:
    translator = ADAPTER.stream_translator(include_usage=True)
    lines = [*start(cache_read_input_tokens=50), *text_block(0, "x"), *end()]
    chunks = feed_all(translator, lines)
    assert translator.usage == Usage(62, 3)
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 50}
    later = event(
        "message_delta",
        delta={"stop_reason": "end_turn"},
        usage={"input_tokens": 30, "output_tokens": 4},
    )
    translator = ADAPTER.stream_translator(include_usage=False)
    feed_all(translator, [*start(), *later])
    assert translator.usage == Usage(30, 4)


def test_a_stream_that_stops_early_is_not_finished() -> None:
    translator = ADAPTER.stream_translator(include_usage=True)
    feed_all(translator, [*start(), *text_block(0, "Hel")])
    assert not translator.finished and translator.usage is None and translator.content_sent


@pytest.mark.parametrize(
    ("error_type", "kind", "status"),
    [
        ("overloaded_error", UpstreamUnavailable, 503),
        ("rate_limit_error", UpstreamUnavailable, 503),
        ("timeout_error", UpstreamTimeout, 504),
        ("api_error", UpstreamError, 502),
    ],
)
def test_an_error_event_raises_with_the_vendors_message(
    error_type: str, kind: type[UpstreamError], status: int
) -> None:
    translator = ADAPTER.stream_translator(include_usage=False)
    feed_all(translator, [*start(), *text_block(0, "Hel")[:3]])
    error = event("error", error={"type": error_type, "message": "Overloaded right now"})
    with pytest.raises(UpstreamError) as caught:
        for line in error:
            translator.feed(line)
    assert type(caught.value) is kind and caught.value.status == status
    assert "Overloaded right now" in caught.value.message and "anthropic" in caught.value.message
    assert not translator.finished


def test_an_unreadable_event_is_an_upstream_error() -> None:
    translator = ADAPTER.stream_translator(include_usage=False)
    feed_all(translator, start())
    with pytest.raises(UpstreamError) as caught:
        translator.feed(b'data: {"type": "content_block_del')
    assert caught.value.code == "upstream_invalid_response"


def test_events_before_message_start_are_an_upstream_error() -> None:
    translator = ADAPTER.stream_translator(include_usage=False)
    with pytest.raises(UpstreamError):
        feed_all(translator, text_block(0, "x"))


def test_anthropic_offers_no_embeddings() -> None:
    assert ADAPTER.supports_embeddings is False
    with pytest.raises(NotFound) as caught:
        ADAPTER.embeddings_request({"model": "m", "input": "x"}, "m", "k")
    assert caught.value.status == 404 and caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    "lines",
    [
        event("message_start", message={"model": "claude"}),  # no id
        [*start(), *event("content_block_start", content_block={"type": "tool_use"})],
        [*start(), b'data: ["not", "an", "object"]'],
    ],
    ids=["message without id", "tool block without index", "not an object"],
)
def test_events_missing_their_fields_are_upstream_errors(lines: list[bytes]) -> None:
    translator = ADAPTER.stream_translator(include_usage=False)
    with pytest.raises(UpstreamError) as caught:
        for line in lines:
            translator.feed(line)
    assert caught.value.code == "upstream_invalid_response"
