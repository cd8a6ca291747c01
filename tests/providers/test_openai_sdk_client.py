"""The official openai SDK, in strict validation mode, reads every provider's translations.

A tiny Starlette app stands in for the gateway's execute stage: it sends the SDK's
request through the provider's adapter and the real Transport to the sandbox, and
answers with the translation (JSON, or SSE relayed as the pipeline relays it: a
`[DONE]` only after a clean finish, an error event otherwise).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gateway.errors import GatewayError
from gateway.providers.base import ProviderAdapter, UpstreamRequest
from gateway.providers.ollama import OllamaAdapter
from gateway.providers.registry import ProviderRegistry
from gateway.providers.setup import build_registry
from gateway.providers.transport import Transport
from gateway.sandbox.server import BackgroundSandbox
from gateway.settings import Settings
from tests.fixtures.servers import serve_in_thread
from tests.providers.streams import WEATHER_TOOL, chat_model, embedding_model

PROVIDERS = ["openai", "groq", "together", "anthropic", "ollama"]
MESSAGES: list[Any] = [{"role": "user", "content": "Tell the SDK something."}]
FAULT = "x-sandbox-fault"


def _transport() -> Transport:
    return Transport(connect_timeout_s=2, read_timeout_s=10)


def _upstream(request: Request, built: UpstreamRequest) -> UpstreamRequest:
    fault = request.headers.get(FAULT)
    if fault is None:
        return built
    headers = {**built.headers, FAULT: fault}
    return UpstreamRequest(built.provider, built.url, headers, built.body, built.method)


async def _relay(
    adapter: ProviderAdapter, upstream: UpstreamRequest, include_usage: bool
) -> AsyncIterator[bytes]:
    transport = _transport()
    translator = adapter.stream_translator(include_usage=include_usage)
    try:
        async for line in transport.stream(upstream):
            for payload in translator.feed(line):
                yield b"data: " + payload + b"\n\n"
        if not translator.finished:
            raise GatewayError("the stream ended before it was complete")
        yield b"data: [DONE]\n\n"
    except GatewayError as exc:
        yield b"data: " + orjson.dumps(exc.body()) + b"\n\n"
    finally:
        await transport.close()


def mini_gateway(registry: ProviderRegistry) -> Starlette:
    async def chat(request: Request) -> Response:
        adapter = registry.get(request.path_params["provider"])
        body = await request.json()
        model = chat_model(adapter.name)
        stream = bool(body.get("stream"))
        upstream = _upstream(request, adapter.chat_request(body, model, "sk-test", stream=stream))
        if stream:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            relay = _relay(adapter, upstream, include_usage)
            return StreamingResponse(relay, media_type="text/event-stream")
        transport = _transport()
        try:
            result = adapter.parse_chat(await transport.post(upstream))
        finally:
            await transport.close()
        return Response(result.body, media_type="application/json")

    async def embeddings(request: Request) -> Response:
        adapter = registry.get(request.path_params["provider"])
        body = await request.json()
        model = embedding_model(adapter.name) or ""
        transport = _transport()
        try:
            raw = await transport.post(adapter.embeddings_request(body, model, "sk-test"))
        finally:
            await transport.close()
        if isinstance(adapter, OllamaAdapter):  # it encodes base64 itself
            result = adapter.parse_embeddings(
                raw, encoding_format=body.get("encoding_format", "float")
            )
        else:
            result = adapter.parse_embeddings(raw)
        return Response(result.body, media_type="application/json")

    return Starlette(
        routes=[
            Route("/{provider}/v1/chat/completions", chat, methods=["POST"]),
            Route("/{provider}/v1/embeddings", embeddings, methods=["POST"]),
        ]
    )


@pytest.fixture(scope="module")
def gateway_url(sandbox_server: BackgroundSandbox) -> Iterator[str]:
    registry = build_registry(Settings(ROUTERAI_SANDBOX_URL=sandbox_server.url))
    with serve_in_thread(mini_gateway(registry), lifespan="off") as url:
        yield url


@pytest.fixture(params=PROVIDERS)
def client(request: pytest.FixtureRequest, gateway_url: str) -> Iterator[openai.OpenAI]:
    sdk = openai.OpenAI(
        api_key="sk-test",
        base_url=f"{gateway_url}/{request.param}/v1",
        max_retries=0,
        _strict_response_validation=True,
    )
    sdk.provider = request.param  # type: ignore[attr-defined]
    with sdk:
        yield sdk


def test_the_sdk_reads_a_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="any", messages=MESSAGES, max_tokens=30)
    choice = completion.choices[0]
    assert completion.object == "chat.completion"
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage is not None and completion.usage.total_tokens > 0


def test_the_sdk_reads_a_stream_that_says_what_the_completion_says(
    client: openai.OpenAI,
) -> None:
    whole = client.chat.completions.create(model="any", messages=MESSAGES)
    stream = client.chat.completions.create(
        model="any", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]


def test_the_sdk_stream_helper_assembles_a_tool_call(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model="any",
        messages=MESSAGES,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ) as stream:
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["city"], str)


@pytest.mark.parametrize("fault", ["cut=3", "error=529@2"])
def test_the_sdk_raises_when_the_stream_breaks(client: openai.OpenAI, fault: str) -> None:
    stream = client.chat.completions.create(
        model="any", messages=MESSAGES, stream=True, extra_headers={FAULT: fault}
    )
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert received  # the role chunk at least arrived before the break


def test_the_sdk_reads_embeddings_in_both_encodings(client: openai.OpenAI) -> None:
    provider = client.provider  # type: ignore[attr-defined]
    if embedding_model(provider) is None:
        pytest.skip(f"{provider} serves no embedding model")
    texts = ["a cat on a mat", "stock prices fell"]
    floats = client.embeddings.create(model="any", input=texts, encoding_format="float")
    # The SDK asks for base64 by default and decodes it, but its strict mode checks the
    # still-encoded strings against the float-list type first, so this client is lax.
    lax = openai.OpenAI(api_key="sk-test", base_url=client.base_url, max_retries=0)
    with lax:
        packed = lax.embeddings.create(model="any", input=texts)
    assert [d.index for d in floats.data] == [0, 1]
    assert floats.usage.prompt_tokens > 0
    for plain, decoded in zip(floats.data, packed.data, strict=True):
        assert decoded.embedding == pytest.approx(plain.embedding, abs=1e-6)
