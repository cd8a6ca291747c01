"""OpenAI bodies ↔ Ollama's native API: chat, NDJSON streams, embeddings, tags (pure)."""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest

from gateway.errors import InvalidRequest, UpstreamError
from gateway.providers.base import Usage
from gateway.providers.ollama import OllamaAdapter, parse_tags
from tests.fixtures.openai_spec import validate
from tests.providers.streams import WEATHER_TOOL, assemble, feed_all

NOW = 1_750_000_000
ADAPTER = OllamaAdapter("http://up/ollama", clock=lambda: NOW, new_id=lambda: "chatcmpl-abc")
HI = [{"role": "user", "content": "hi"}]
PNG = "iVBORw0KGgo="
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
}


def translate(body: dict[str, Any], *, stream: bool = False) -> dict[str, Any]:
    request = ADAPTER.chat_request({"model": "llama", **body}, "llama3.2", "unused", stream=stream)
    payload: dict[str, Any] = orjson.loads(request.body)
    return payload


def test_chat_goes_to_api_chat_without_credentials() -> None:
    request = ADAPTER.chat_request({"model": "m", "messages": HI}, "llama3.2", "k", stream=False)
    assert request.url == "http://up/ollama/api/chat" and request.method == "POST"
    assert request.headers == {"Content-Type": "application/json"}


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "stream is always explicit",
        {"messages": HI},
        {"model": "llama3.2", "stream": False, "messages": [{"role": "user", "content": "hi"}]},
    ),
    (
        "sampling parameters, max tokens and stop go under options",
        {
            "messages": HI,
            "temperature": 0.3,
            "top_p": 0.8,
            "seed": 7,
            "max_completion_tokens": 64,
            "stop": "END",
            "frequency_penalty": 0.5,
        },
        {
            "options": {
                "temperature": 0.3,
                "top_p": 0.8,
                "seed": 7,
                "frequency_penalty": 0.5,
                "num_predict": 64,
                "stop": ["END"],
            }
        },
    ),
    (
        "developer messages are system messages; text parts are joined",
        {
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                },
            ]
        },
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "a\nb"},
            ]
        },
    ),
    (
        "data-URL images become the base64 images list",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is it?"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    ],
                }
            ]
        },
        {"messages": [{"role": "user", "content": "what is it?", "images": [PNG]}]},
    ),
    (
        "tool calls carry object arguments; tool results name their tool",
        {
            "messages": [
                {"role": "assistant", "content": None, "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            ]
        },
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
                    ],
                },
                {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
            ]
        },
    ),
    (
        "tools pass in OpenAI's shape",
        {"messages": HI, "tools": [WEATHER_TOOL]},
        {"tools": [WEATHER_TOOL]},
    ),
    (
        "a named tool_choice keeps only that tool",
        {
            "messages": HI,
            "tools": [{"type": "function", "function": {"name": "other"}}, WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        {"tools": [WEATHER_TOOL]},
    ),
    (
        "json_object → format json",
        {"messages": HI, "response_format": {"type": "json_object"}},
        {"format": "json"},
    ),
    (
        "json_schema → format: the schema",
        {
            "messages": HI,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": {"type": "object"}},
            },
        },
        {"format": {"type": "object"}},
    ),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_chat_translation(body: dict[str, Any], expected: dict[str, Any]) -> None:
    payload = translate(body)
    for key, value in expected.items():
        assert payload[key] == value, key


def test_a_stream_request_streams() -> None:
    assert translate({"messages": HI}, stream=True)["stream"] is True


def test_tool_choice_none_sends_no_tools() -> None:
    payload = translate({"messages": HI, "tools": [WEATHER_TOOL], "tool_choice": "none"})
    assert "tools" not in payload and "options" not in payload and "format" not in payload


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("n > 1", {"messages": HI, "n": 3}, "n"),
    (
        "image URLs Ollama would have to fetch",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}],
                }
            ]
        },
        "messages[0].content[0]",
    ),
    (
        "audio parts",
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        "messages[0].content[0]",
    ),
    (
        "arguments that are not JSON",
        {
            "messages": [
                {
                    "role": "assistant",
                    "tool_calls": [{**CALL, "function": {"name": "f", "arguments": "{"}}],
                }
            ]
        },
        "messages[0].tool_calls[0]",
    ),
    (
        "legacy function messages",
        {"messages": [{"role": "function", "content": "x"}]},
        "messages[0].role",
    ),
]


@pytest.mark.parametrize(("body", "param"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_what_ollama_cannot_take_is_a_400_naming_the_param(
    body: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        translate(body)
    assert caught.value.param == param


# -- answers ---------------------------------------------------------------------------------


def final(message: dict[str, Any], done_reason: str = "stop") -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "created_at": "2025-05-14T00:00:00.123456789Z",
        "message": message,
        "done": True,
        "done_reason": done_reason,
        "prompt_eval_count": 20,
        "eval_count": 5,
    }


def parse(data: dict[str, Any]) -> dict[str, Any]:
    result = ADAPTER.parse_chat(orjson.dumps(data))
    body: dict[str, Any] = orjson.loads(result.body)
    validate("CreateChatCompletionResponse", body)
    assert result.usage == Usage(20, 5) and result.model == "llama3.2"
    return body


@pytest.mark.parametrize(
    ("done_reason", "finish"), [("stop", "stop"), ("length", "length"), ("unload", "stop")]
)
def test_a_chat_answer_becomes_a_completion(done_reason: str, finish: str) -> None:
    body = parse(final({"role": "assistant", "content": "Hello"}, done_reason))
    assert body["id"] == "chatcmpl-abc" and body["created"] == NOW
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Hello",
        "refusal": None,
    }
    assert body["choices"][0]["finish_reason"] == finish
    assert body["usage"] == {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}


def test_tool_calls_get_ids_and_json_arguments() -> None:
    calls = [
        {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
        {"id": "call_x", "function": {"name": "get_weather", "arguments": {}}},
    ]
    body = parse(final({"role": "assistant", "content": "", "tool_calls": calls}))
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    assert [c["id"] for c in choice["message"]["tool_calls"]] == ["call_abc_0", "call_x"]
    assert [c["function"]["arguments"] for c in choice["message"]["tool_calls"]] == [
        '{"city":"Oslo"}',
        "{}",
    ]


def line(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data)


def partial(content: str = "", **message: Any) -> bytes:
    msg = {"role": "assistant", "content": content, **message}
    return line({"model": "llama3.2", "created_at": "t", "message": msg, "done": False})


@pytest.mark.parametrize("include_usage", [True, False])
def test_an_ndjson_stream_becomes_chunks(include_usage: bool) -> None:
    translator = ADAPTER.stream_translator(include_usage=include_usage)
    lines = [
        partial("Hel"),
        b"",
        partial("lo"),
        line(final({"role": "assistant", "content": ""}, "length")),
    ]
    chunks = feed_all(translator, lines)
    answer = assemble(chunks)
    assert answer.role == "assistant" and answer.text == "Hello" and answer.finish == "length"
    assert {c["id"] for c in chunks} == {"chatcmpl-abc"}
    assert translator.finished and translator.content_sent and translator.usage == Usage(20, 5)
    expected = [{"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}]
    assert answer.usage_chunks == (expected if include_usage else [])


def test_streamed_tool_calls_are_indexed_across_lines() -> None:
    call = {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
    lines = [
        partial(tool_calls=[call]),
        partial(tool_calls=[call]),
        line(final({"role": "assistant", "content": ""})),
    ]
    answer = assemble(feed_all(ADAPTER.stream_translator(include_usage=False), lines))
    assert answer.finish == "tool_calls"
    assert sorted(answer.tool_calls) == [0, 1]
    assert answer.tool_calls[1] == {
        "id": "call_abc_1",
        "type": "function",
        "name": "get_weather",
        "arguments": '{"city":"Oslo"}',
    }


def test_an_error_line_raises_with_ollamas_message() -> None:
    translator = ADAPTER.stream_translator(include_usage=False)
    feed_all(translator, [partial("Hel")])
    with pytest.raises(UpstreamError) as caught:
        translator.feed(line({"error": "model runner has unexpectedly stopped"}))
    assert "model runner has unexpectedly stopped" in caught.value.message
    assert caught.value.status == 502 and not translator.finished


def test_an_unreadable_line_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError) as caught:
        ADAPTER.stream_translator(include_usage=False).feed(b'{"model": "lla')
    assert caught.value.code == "upstream_invalid_response"


# -- embeddings and tags ---------------------------------------------------------------------


def test_embeddings_go_to_api_embed() -> None:
    body = {"model": "nomic", "input": "hello", "dimensions": 8, "encoding_format": "base64"}
    request = ADAPTER.embeddings_request(body, "nomic-embed-text", "k")
    assert request.url == "http://up/ollama/api/embed"
    assert orjson.loads(request.body) == {
        "model": "nomic-embed-text",
        "input": ["hello"],
        "dimensions": 8,
    }


def test_token_inputs_cannot_be_embedded_by_ollama() -> None:
    with pytest.raises(InvalidRequest) as caught:
        ADAPTER.embeddings_request({"model": "m", "input": [[1, 2, 3]]}, "nomic-embed-text", "k")
    assert caught.value.param == "input"


EMBED = {
    "model": "nomic-embed-text",
    "embeddings": [[0.5, -0.25], [1.0, 0.0]],
    "prompt_eval_count": 6,
}


def test_an_embed_answer_becomes_an_embeddings_list() -> None:
    result = ADAPTER.parse_embeddings(orjson.dumps(EMBED))
    body = orjson.loads(result.body)
    validate("CreateEmbeddingResponse", body)
    assert [d["embedding"] for d in body["data"]] == EMBED["embeddings"]
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert body["usage"] == {"prompt_tokens": 6, "total_tokens": 6}
    assert result.usage == Usage(6, 0) and result.model == "nomic-embed-text"


def test_base64_embeddings_are_little_endian_float32() -> None:
    result = ADAPTER.parse_embeddings(orjson.dumps(EMBED), encoding_format="base64")
    encoded = orjson.loads(result.body)["data"][0]["embedding"]
    assert list(struct.unpack("<2f", base64.b64decode(encoded))) == [0.5, -0.25]


def test_tags_list_model_names_without_the_implied_latest_tag() -> None:
    raw = orjson.dumps(
        {
            "models": [
                {"name": "llama3.2:latest", "model": "llama3.2:latest"},
                {"name": "qwen2.5:7b", "model": "qwen2.5:7b"},
                {"name": "llama3.2"},
                "junk",
            ]
        }
    )
    assert parse_tags(raw) == ["llama3.2", "qwen2.5:7b"]
    request = ADAPTER.tags_request()
    assert request.method == "GET" and request.url == "http://up/ollama/api/tags"


@pytest.mark.parametrize(
    "raw",
    [b'{"model": "m", "message": "text"}', b'{"message": {"tool_calls": ["x"]}}', b"[1, 2]"],
)
def test_lines_missing_their_fields_are_upstream_errors(raw: bytes) -> None:
    with pytest.raises(UpstreamError) as caught:
        ADAPTER.stream_translator(include_usage=False).feed(raw)
    assert caught.value.code == "upstream_invalid_response"
