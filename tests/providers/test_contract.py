"""The contract every registered provider keeps, checked against the sandbox over HTTP.

Each test runs for every adapter `build_registry` registers: requests go through the
real `Transport` to the sandbox's rendition of that vendor's wire protocol, and the
translated answers must be OpenAI's (validated against OpenAI's published schema),
with usage, finish reasons and tool calls intact; broken streams must end in an error.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest

from gateway.errors import GatewayError, NotFound, UpstreamError, UpstreamUnavailable
from gateway.providers.base import ChatResult, ProviderAdapter, UpstreamRequest
from gateway.providers.registry import ProviderRegistry
from gateway.providers.setup import build_registry
from gateway.providers.transport import Transport
from gateway.settings import Settings
from tests.fixtures.openai_spec import validate
from tests.providers.streams import (
    WEATHER_TOOL,
    assemble,
    chat_model,
    embedding_model,
    run_stream,
)

PROVIDERS = build_registry(Settings(ROUTERAI_SANDBOX_URL="http://sandbox")).names()
HELLO = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Say hello to the contract tests."},
]
FORCED = {"type": "function", "function": {"name": "get_weather"}}


def test_every_provider_is_registered() -> None:
    assert set(PROVIDERS) == {"openai", "groq", "together", "anthropic", "ollama"}


def with_fault(request: UpstreamRequest, fault: str) -> UpstreamRequest:
    """The same request, asking the sandbox to break its answer with `fault`."""
    return dataclasses.replace(request, headers={**request.headers, "x-sandbox-fault": fault})


def chat(adapter: ProviderAdapter, *, stream: bool = False, **body: Any) -> UpstreamRequest:
    model = chat_model(adapter.name)
    full = {"model": model, "messages": HELLO, **body}
    if stream:  # as the client's body says, which the pipeline passes on
        full["stream"] = True
    return adapter.chat_request(full, model, "sk-test", stream=stream)


async def answer(transport: Transport, adapter: ProviderAdapter, **body: Any) -> dict[str, Any]:
    """A translated, schema-checked chat.completion whose usage matches the ChatResult's."""
    result: ChatResult = adapter.parse_chat(await transport.post(chat(adapter, **body)))
    completion: dict[str, Any] = orjson.loads(result.body)
    validate("CreateChatCompletionResponse", completion)
    usage = completion["usage"]
    assert result.usage is not None and usage["prompt_tokens"] > 0
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (
        result.usage.prompt_tokens,
        result.usage.completion_tokens,
    )
    assert usage["total_tokens"] == result.usage.total_tokens
    assert result.model == completion["model"]
    return completion


@pytest.fixture(params=PROVIDERS)
def adapter(request: pytest.FixtureRequest, registry: ProviderRegistry) -> ProviderAdapter:
    return registry.get(request.param)


async def test_a_chat_answer_is_an_openai_completion(
    adapter: ProviderAdapter, transport: Transport
) -> None:
    completion = await answer(transport, adapter)
    choice = completion["choices"][0]
    assert completion["object"] == "chat.completion"
    assert choice["finish_reason"] == "stop"
    assert isinstance(choice["message"]["content"], str) and choice["message"]["content"]
    assert "tool_calls" not in choice["message"]


async def test_max_tokens_cuts_the_answer_with_finish_length(
    adapter: ProviderAdapter, transport: Transport
) -> None:
    completion = await answer(transport, adapter, max_tokens=4)
    assert completion["choices"][0]["finish_reason"] == "length"
    assert completion["usage"]["completion_tokens"] == 4


async def test_a_forced_tool_call_comes_back_as_tool_calls(
    adapter: ProviderAdapter, transport: Transport
) -> None:
    completion = await answer(transport, adapter, tools=[WEATHER_TOOL], tool_choice=FORCED)
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"]
    assert call["function"]["name"] == "get_weather"
    arguments = orjson.loads(call["function"]["arguments"])
    assert isinstance(arguments, dict) and isinstance(arguments["city"], str)


async def test_a_tool_result_round_trip_is_accepted_and_answered(
    adapter: ProviderAdapter, transport: Transport
) -> None:
    first = await answer(transport, adapter, tools=[WEATHER_TOOL], tool_choice=FORCED)
    message = first["choices"][0]["message"]
    call = message["tool_calls"][0]
    history = [
        *HELLO,
        {"role": "assistant", "content": message["content"], "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 21 °C."},
    ]
    completion = await answer(transport, adapter, messages=history, tools=[WEATHER_TOOL])
    assert completion["choices"][0]["finish_reason"] == "stop"
    assert completion["choices"][0]["message"]["content"]


@pytest.mark.parametrize("include_usage", [True, False])
async def test_a_stream_says_what_the_answer_says(
    adapter: ProviderAdapter, transport: Transport, include_usage: bool
) -> None:
    whole = await answer(transport, adapter)
    run = await run_stream(
        transport, adapter, chat(adapter, stream=True), include_usage=include_usage
    )
    assert run.error is None and run.translator.finished
    for chunk in run.chunks:
        validate("CreateChatCompletionStreamResponse", chunk)
        assert chunk["object"] == "chat.completion.chunk"
    streamed = assemble(run.chunks)
    assert streamed.role == "assistant" and streamed.finish == "stop"
    assert streamed.text == whole["choices"][0]["message"]["content"]
    usage = run.translator.usage
    assert usage is not None and usage.completion_tokens == whole["usage"]["completion_tokens"]
    assert usage.prompt_tokens > 0
    assert len(streamed.usage_chunks) == (1 if include_usage else 0)
    if include_usage:
        assert streamed.usage_chunks[0]["total_tokens"] == usage.total_tokens
    assert run.translator.content_sent


async def test_a_streamed_tool_call_assembles_into_json_arguments(
    adapter: ProviderAdapter, transport: Transport
) -> None:
    request = chat(adapter, stream=True, tools=[WEATHER_TOOL], tool_choice=FORCED)
    run = await run_stream(transport, adapter, request)
    assert run.error is None and run.translator.finished
    for chunk in run.chunks:
        validate("CreateChatCompletionStreamResponse", chunk)
    streamed = assemble(run.chunks)
    assert streamed.finish == "tool_calls"
    [call] = streamed.tool_calls.values()
    assert call["id"] and call["type"] == "function" and call["name"] == "get_weather"
    assert isinstance(orjson.loads(call["arguments"])["city"], str)


@pytest.mark.parametrize("fault", ["cut=3", "error=529@2", "error=500@4"])
async def test_a_broken_stream_ends_in_an_error_not_a_clean_finish(
    adapter: ProviderAdapter, transport: Transport, fault: str
) -> None:
    run = await run_stream(transport, adapter, with_fault(chat(adapter, stream=True), fault))
    assert run.failed, f"{adapter.name} finished cleanly despite {fault}"
    assert isinstance(run.error, UpstreamError) and run.error.message
    if fault.startswith("error="):
        assert run.error.code == "upstream_stream_error"


@pytest.mark.parametrize(("status", "client_status"), [(503, 503), (500, 502), (429, 503)])
async def test_an_upstream_error_status_is_mapped(
    adapter: ProviderAdapter, transport: Transport, status: int, client_status: int
) -> None:
    for stream in (False, True):
        request = with_fault(chat(adapter, stream=stream), f"error={status}")
        with pytest.raises(GatewayError) as caught:
            if stream:
                async for _ in transport.stream(request):
                    pass
            else:
                await transport.post(request)
        assert caught.value.status == client_status, (adapter.name, stream)


async def test_an_unknown_model_is_a_404(adapter: ProviderAdapter, transport: Transport) -> None:
    body = {"model": "no-such-model", "messages": HELLO}
    request = adapter.chat_request(body, "no-such-model", "sk-test", stream=False)
    with pytest.raises(NotFound):
        await transport.post(request)


async def test_embeddings_are_openai_embeddings_where_offered(
    adapter: ProviderAdapter, transport: Transport
) -> None:
    model = embedding_model(adapter.name)
    if not adapter.supports_embeddings or model is None:
        pytest.skip(f"{adapter.name} serves no embedding model")
    body = {"model": model, "input": ["the first text", "the second"]}
    raw = await transport.post(adapter.embeddings_request(body, model, "sk-test"))
    result = adapter.parse_embeddings(raw)
    response = orjson.loads(result.body)
    validate("CreateEmbeddingResponse", response)
    assert [item["index"] for item in response["data"]] == [0, 1]
    assert len(response["data"][0]["embedding"]) > 8
    assert result.usage is not None and result.usage.prompt_tokens > 0
    assert response["usage"]["prompt_tokens"] == result.usage.prompt_tokens


async def test_anthropic_in_stream_overload_is_unavailable(
    registry: ProviderRegistry, transport: Transport
) -> None:
    """Anthropic's in-stream overloaded_error keeps its meaning: try again later (503)."""
    adapter = registry.get("anthropic")
    run = await run_stream(
        transport, adapter, with_fault(chat(adapter, stream=True), "error=529@2")
    )
    assert isinstance(run.error, UpstreamUnavailable) and run.error.status == 503
    assert "Overloaded" in run.error.message


@pytest.mark.parametrize("name", ["anthropic", "ollama"])
async def test_a_malformed_stream_event_is_an_error(
    registry: ProviderRegistry, transport: Transport, name: str
) -> None:
    adapter = registry.get(name)
    run = await run_stream(transport, adapter, with_fault(chat(adapter, stream=True), "malformed"))
    assert run.error is not None and run.error.code == "upstream_invalid_response"
