"""Chat completions, driven through the official OpenAI SDK with strict response validation."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam

from tests.fixtures.openai_spec import validate
from tests.sandbox.conftest import OpenAIFactory
from tests.sandbox.shapes import HELLO, function_call

WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a place.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "verbose": {"type": "boolean"},
            },
            "required": ["location", "unit", "days"],
        },
    },
}


def test_answer_is_shaped_like_openai_and_counts_tokens(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO)

    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o"
    assert completion.system_fingerprint and completion.system_fingerprint.startswith("fp_")
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content and choice.message.content.endswith(".")
    assert choice.message.tool_calls is None
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 5
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_json_body_validates_against_openai_spec(http: httpx.Client) -> None:
    response = http.post(
        "/openai/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": HELLO},
        headers={"authorization": "Bearer sk-test"},
    )

    assert response.status_code == 200
    assert response.headers["x-request-id"].startswith("req_")
    validate("CreateChatCompletionResponse", response.json())


def test_same_conversation_gets_same_answer_and_seed_changes_it(
    openai_client: openai.OpenAI,
) -> None:
    def answer(seed: int | None = None) -> str | None:
        completion = openai_client.chat.completions.create(
            model="gpt-4o", messages=HELLO, seed=seed
        )
        return completion.choices[0].message.content

    other = openai_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Something else entirely."}]
    )

    assert answer() == answer()
    assert answer(seed=7) == answer(seed=7)
    assert len({answer(seed=seed) for seed in range(5)}) > 1
    assert answer() != other.choices[0].message.content


def test_streaming_with_usage_follows_openai_chunk_sequence(openai_client: openai.OpenAI) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="gpt-4o",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    whole = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO)

    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    content_chunks = [c for c in chunks[1:-2] if c.choices[0].delta.content]
    text = "".join(c.choices[0].delta.content or "" for c in content_chunks)
    assert text == whole.choices[0].message.content
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == len(content_chunks)
    assert whole.usage is not None and usage.completion_tokens == whole.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_frames_validate_against_spec_and_end_with_done(http: httpx.Client) -> None:
    body = {"model": "gpt-4o", "messages": HELLO, "stream": True}
    response = http.post(
        "/openai/v1/chat/completions", json=body, headers={"authorization": "Bearer sk-test"}
    )

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    payloads = [json.loads(event.removeprefix("data: ")) for event in events[:-1]]
    for payload in payloads:
        validate("CreateChatCompletionStreamResponse", payload)
    assert "usage" not in payloads[0]


def test_tool_call_has_arguments_built_from_the_schema(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = function_call(completion)
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    assert set(arguments) == {"location", "unit", "days"}
    assert isinstance(arguments["location"], str) and arguments["location"]
    assert arguments["unit"] in ("celsius", "fahrenheit")
    assert 1 <= arguments["days"] <= 7


def test_streamed_tool_call_arrives_as_argument_deltas(openai_client: openai.OpenAI) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Weather in Oslo?"}],
            tools=[WEATHER_TOOL],
            stream=True,
        )
    )

    first = chunks[0].choices[0].delta.tool_calls
    assert first is not None and first[0].id and first[0].function is not None
    assert first[0].function.name == "get_weather"
    pieces = [c.choices[0].delta.tool_calls for c in chunks[1:-1]]
    arguments = "".join(p[0].function.arguments or "" for p in pieces if p and p[0].function)
    assert len(pieces) > 3
    assert {"location", "unit", "days"} <= set(json.loads(arguments))
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tool_choice_none_and_tool_result_get_text(openai_client: openai.OpenAI) -> None:
    declined = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=HELLO,
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )
    conversation: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C and sunny"},
    ]
    after_result = openai_client.chat.completions.create(
        model="gpt-4o", messages=conversation, tools=[WEATHER_TOOL]
    )

    for completion in (declined, after_result):
        assert completion.choices[0].finish_reason == "stop"
        assert completion.choices[0].message.content


def test_forcing_an_unknown_tool_is_a_bad_request(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="gpt-4o",
            messages=HELLO,
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "nope"}},
        )
    assert caught.value.param == "tool_choice"


def test_json_object_mode_answers_valid_json(openai_client: openai.OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Reply in JSON about caching."}],
        response_format={"type": "json_object"},
    )

    parsed = json.loads(completion.choices[0].message.content or "")
    assert isinstance(parsed, dict) and parsed


def test_json_object_mode_requires_the_word_json(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="gpt-4o", messages=HELLO, response_format={"type": "json_object"}
        )

    assert "must contain the word 'json'" in caught.value.response.json()["error"]["message"]


def test_json_schema_mode_answers_a_matching_object(openai_client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "population": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "required": ["city", "population", "tags"],
        "additionalProperties": False,
    }
    completion = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=HELLO,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "city", "schema": schema, "strict": True},
        },
    )

    parsed = json.loads(completion.choices[0].message.content or "")
    assert set(parsed) == {"city", "population", "tags"}
    assert isinstance(parsed["population"], int) and len(parsed["tags"]) == 2


def test_n_gives_distinct_choices_counted_in_usage(openai_client: openai.OpenAI) -> None:
    single = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO)
    several = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO, n=3)

    assert [c.index for c in several.choices] == [0, 1, 2]
    assert several.choices[0].message.content == single.choices[0].message.content
    assert len({c.message.content for c in several.choices}) > 1
    assert several.usage is not None and single.usage is not None
    assert several.usage.completion_tokens > single.usage.completion_tokens


def test_n_streams_every_choice(openai_client: openai.OpenAI) -> None:
    chunks = list(
        openai_client.chat.completions.create(model="gpt-4o", messages=HELLO, n=2, stream=True)
    )

    finished = [ch.choices[0].index for ch in chunks if ch.choices[0].finish_reason == "stop"]
    assert finished == [0, 1]


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_the_answer_with_finish_reason_length(
    openai_client: openai.OpenAI, param: str
) -> None:
    if param == "max_tokens":
        completion = openai_client.chat.completions.create(
            model="gpt-4o", messages=HELLO, max_tokens=4
        )
    else:
        completion = openai_client.chat.completions.create(
            model="gpt-4o", messages=HELLO, max_completion_tokens=4
        )

    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 4


def test_max_tokens_over_the_model_limit_is_refused(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=10**6)

    assert "max_tokens is too large" in caught.value.response.json()["error"]["message"]


def test_stop_sequence_ends_the_answer_before_it(openai_client: openai.OpenAI) -> None:
    full = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO)
    text = full.choices[0].message.content or ""
    stop = text.split()[3]

    stopped = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO, stop=[stop])

    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == text[: text.index(stop)]


def test_unknown_model_is_404_model_not_found(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="gpt-9-ultra", messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_embedding_model_is_not_a_chat_model(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        openai_client.chat.completions.create(model="text-embedding-3-small", messages=HELLO)


def test_invalid_key_is_refused_with_401(openai_for: OpenAIFactory) -> None:
    client = openai_for("openai", api_key="sk-invalid-123")
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert caught.value.code == "invalid_api_key"


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc"])
def test_missing_key_is_401_in_openai_error_shape(
    http: httpx.Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    response = http.post(
        "/groq/v1/chat/completions",
        json={"model": "llama-3.3-70b-versatile", "messages": HELLO},
        headers=headers,
    )

    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    validate("ErrorResponse", response.json())


@pytest.mark.parametrize(
    ("prefix", "model"),
    [
        ("groq", "llama-3.1-8b-instant"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        ("", "gpt-4o-mini"),
    ],
)
def test_openai_compatible_prefixes_serve_their_own_models(
    openai_for: OpenAIFactory, prefix: str, model: str
) -> None:
    client = openai_for(prefix)

    completion = client.chat.completions.create(model=model, messages=HELLO)

    assert completion.model == model
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="claude-sonnet-4-0", messages=HELLO)


def test_invalid_json_body_is_a_bad_request(http: httpx.Client) -> None:
    response = http.post(
        "/openai/v1/chat/completions",
        content=b"{not json",
        headers={"authorization": "Bearer sk-test", "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_stream_options_without_stream_is_refused(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="gpt-4o", messages=HELLO, stream_options={"include_usage": True}
        )
    assert caught.value.param == "stream_options"


def test_unknown_path_is_a_json_404(http: httpx.Client) -> None:
    response = http.get("/openai/v1/nothing-here")

    assert response.status_code == 404
    assert "Invalid URL" in response.json()["error"]["message"]
