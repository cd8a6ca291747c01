"""The OpenAI-compatible adapter passes requests through and meters streams."""

from __future__ import annotations

import orjson
import pytest

from gateway.errors import UpstreamError
from gateway.providers.openai_compat import OpenAICompatible


def chunk(**fields: object) -> bytes:
    return b"data: " + orjson.dumps({"id": "c", "object": "chat.completion.chunk", **fields})


def test_the_request_passes_through_with_the_provider_model() -> None:
    adapter = OpenAICompatible("groq", "http://upstream/groq")
    body = {"model": "llama-3.3-70b", "messages": [], "tools": [{"x": 1}], "seed": 3}
    request = adapter.chat_request(body, "llama-3.3-70b-versatile", "sk-1", stream=False)
    assert request.url == "http://upstream/groq/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-1"
    assert orjson.loads(request.body) == {
        **body,
        "model": "llama-3.3-70b-versatile",
        "stream": False,
    }


def test_a_stream_always_asks_the_upstream_for_usage() -> None:
    adapter = OpenAICompatible("openai", "http://u")
    body = {"model": "m", "messages": [], "stream": True, "stream_options": {"x": 1}}
    sent = orjson.loads(adapter.chat_request(body, "m", "k", stream=True).body)
    assert sent["stream_options"] == {"x": 1, "include_usage": True}


def test_the_usage_chunk_is_kept_only_when_the_client_asked() -> None:
    lines = [
        chunk(choices=[{"index": 0, "delta": {"content": "hi"}}]),
        chunk(choices=[], usage={"prompt_tokens": 4, "completion_tokens": 1}),
        b"",
        b"data: [DONE]",
    ]
    for include in (True, False):
        translator = OpenAICompatible("openai", "http://u").stream_translator(include_usage=include)
        out = [payload for line in lines for payload in translator.feed(line)]
        assert len(out) == (2 if include else 1)
        assert translator.usage is not None and translator.usage.total_tokens == 5
        assert translator.finished and translator.content_sent


def test_parse_reads_usage_and_keeps_the_bytes() -> None:
    raw = orjson.dumps(
        {"model": "gpt-4o-mini-2024", "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    )
    result = OpenAICompatible("openai", "http://u").parse_chat(raw)
    assert result.body is raw and result.model == "gpt-4o-mini-2024"
    assert result.usage is not None and result.usage.total_tokens == 5


def test_an_error_inside_the_stream_raises_with_the_upstream_message() -> None:
    translator = OpenAICompatible("openai", "http://u").stream_translator(include_usage=False)
    translator.feed(chunk(choices=[{"index": 0, "delta": {"content": "hi"}}]))
    with pytest.raises(UpstreamError, match="overloaded"):
        translator.feed(b'data: {"error": {"message": "overloaded", "type": "server_error"}}')
    assert not translator.finished
