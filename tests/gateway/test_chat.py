"""Chat completions through the gateway with the official OpenAI SDK (strict validation)."""

from __future__ import annotations

import json

import openai

from gateway.pricing.catalog import Catalog, cost_micro_usd
from tests.fixtures.openai_spec import validate
from tests.gateway.conftest import Tenant
from tests.gateway.sse import read_stream

HELLO = [{"role": "user", "content": "Say hello to RouterAI."}]
RATE_LIMIT_HEADERS = [
    f"x-ratelimit-{kind}-{what}"
    for kind in ("limit", "remaining", "reset")
    for what in ("requests", "tokens")
]


def expected_cost(model: str, prompt: int, completion: int) -> str:
    info = Catalog().serving(model)[0]
    return f"{cost_micro_usd(info, prompt, completion) / 1_000_000:.6f}"


def test_a_chat_completion_validates_and_carries_every_header(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    completion = raw.parse()
    validate("CreateChatCompletionResponse", json.loads(raw.http_response.content))
    assert completion.choices[0].message.content
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    headers = raw.headers
    assert headers["x-request-id"].startswith("req_")
    assert int(headers["openai-processing-ms"]) >= 0
    for name in RATE_LIMIT_HEADERS:
        assert headers[name], name
    assert headers["x-ratelimit-limit-requests"] == "600"  # the Growth plan's RPM
    assert headers["x-routerai-provider"] == "openai"
    assert headers["x-routerai-model"] == "gpt-4o-mini"
    assert headers["x-routerai-cache"] == "bypass"  # temperature 1 (the default) is not cached
    usage = completion.usage
    assert headers["x-routerai-cost-usd"] == expected_cost(
        "gpt-4o-mini", usage.prompt_tokens, usage.completion_tokens
    )


def test_remaining_requests_count_down(client: openai.OpenAI) -> None:
    first = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    second = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    assert (
        int(first.headers["x-ratelimit-remaining-requests"])
        - int(second.headers["x-ratelimit-remaining-requests"])
    ) == 1


def test_request_fields_pass_through_to_the_provider(client: openai.OpenAI) -> None:
    several = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, n=3, temperature=0.2, seed=7, user="u-1"
    )
    assert [c.index for c in several.choices] == [0, 1, 2]
    short = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=3)
    assert short.choices[0].finish_reason == "length"
    assert short.usage is not None and short.usage.completion_tokens <= 3
    as_json = client.chat.completions.create(
        model="gpt-4o-mini",
        response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "Answer in JSON: what is RouterAI?"}],
    )
    json.loads(as_json.choices[0].message.content or "")


def test_tools_and_tool_choice_reach_the_provider(client: openai.OpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {"city": {"type": "string"}},
                },
            },
        }
    ]
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=tools,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)
    assert completion.choices[0].finish_reason == "tool_calls"


def test_aliases_resolve_to_the_served_model(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="llama-3.3-70b", messages=HELLO)
    assert raw.headers["x-routerai-provider"] in ("groq", "together")
    assert raw.headers["x-routerai-model"] in (
        "llama-3.3-70b-versatile",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    )


def test_a_stream_with_usage_validates_chunk_by_chunk(gateway_url: str, tenant: Tenant) -> None:
    stream = read_stream(
        gateway_url,
        tenant.key,
        {
            "model": "gpt-4o-mini",
            "messages": HELLO,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["x-routerai-provider"] == "openai"
    *chunks, done = stream.events
    assert done == "[DONE]"
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk)
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0
    assert all(c.get("usage") is None for c in chunks[:-1])
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    usage = usage_chunk["usage"]
    cost = expected_cost("gpt-4o-mini", usage["prompt_tokens"], usage["completion_tokens"])
    assert stream.comments == [f"x-routerai-cost-usd {cost}"]


def test_a_stream_without_include_usage_has_no_usage_chunk(
    gateway_url: str, tenant: Tenant
) -> None:
    stream = read_stream(
        gateway_url, tenant.key, {"model": "gpt-4o-mini", "messages": HELLO, "stream": True}
    )
    *chunks, done = stream.events
    assert done == "[DONE]"
    assert chunks and all(chunk["choices"] for chunk in chunks)
    assert all(chunk.get("usage") is None for chunk in chunks)


def test_the_sdk_streams_text_and_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_streamed_tool_calls_arrive_whole(client: openai.OpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {
                    "type": "object",
                    "required": ["q"],
                    "properties": {"q": {"type": "string"}},
                },
            },
        }
    ]
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, tools=tools, tool_choice="required", stream=True
    )
    arguments = ""
    names = set()
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            if call.function and call.function.name:
                names.add(call.function.name)
            if call.function and call.function.arguments:
                arguments += call.function.arguments
    assert names == {"lookup"}
    assert "q" in json.loads(arguments)
