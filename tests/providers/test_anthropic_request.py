"""OpenAI chat bodies translate to Anthropic Messages requests (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.errors import InvalidRequest
from gateway.providers.anthropic import AnthropicAdapter
from gateway.providers.anthropic_request import JSON_INSTRUCTION
from tests.providers.streams import WEATHER_TOOL

MODEL = "claude-3-5-haiku-20241022"  # max output 8192 in the catalogue
PNG = "iVBORw0KGgo="
HI = [{"role": "user", "content": "hi"}]
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
}
CALL_2 = {**CALL, "id": "call_2", "function": {"name": "get_weather", "arguments": "{}"}}


def translate(body: dict[str, Any], *, stream: bool = False) -> dict[str, Any]:
    request = AnthropicAdapter("http://up/anthropic").chat_request(
        {"model": "claude", **body}, MODEL, "sk-ant", stream=stream
    )
    payload: dict[str, Any] = orjson.loads(request.body)
    return payload


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def test_the_request_goes_to_messages_with_anthropic_headers() -> None:
    request = AnthropicAdapter("http://up/anthropic").chat_request(
        {"model": "m", "messages": HI}, MODEL, "sk-ant", stream=False
    )
    assert request.url == "http://up/anthropic/v1/messages"
    assert request.method == "POST"
    assert request.headers["x-api-key"] == "sk-ant"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in request.headers


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "max_tokens defaults to the model's maximum output",
        {"messages": HI},
        {
            "model": MODEL,
            "max_tokens": 8192,
            "messages": [{"role": "user", "content": [text("hi")]}],
        },
    ),
    (
        "max_completion_tokens wins over max_tokens",
        {"messages": HI, "max_tokens": 50, "max_completion_tokens": 20},
        {"max_tokens": 20},
    ),
    ("the legacy max_tokens is read", {"messages": HI, "max_tokens": 50}, {"max_tokens": 50}),
    (
        "system and developer messages, wherever they are, are joined into system",
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"},
                {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
            ]
        },
        {
            "system": "Be brief.\n\nUse French.",
            "messages": [{"role": "user", "content": [text("hi")]}],
        },
    ),
    (
        "temperature is clamped to Anthropic's 0-1; top_p passes",
        {"messages": HI, "temperature": 1.6, "top_p": 0.9},
        {"temperature": 1.0, "top_p": 0.9},
    ),
    ("a low temperature passes", {"messages": HI, "temperature": 0.2}, {"temperature": 0.2}),
    ("stop as a string", {"messages": HI, "stop": "END"}, {"stop_sequences": ["END"]}),
    (
        "whitespace-only stop sequences are dropped (Anthropic refuses them)",
        {"messages": HI, "stop": ["\n", "END", " "]},
        {"stop_sequences": ["END"]},
    ),
    (
        "user becomes metadata.user_id",
        {"messages": HI, "user": "u-42"},
        {"metadata": {"user_id": "u-42"}},
    ),
    (
        "image parts: data URLs become base64 sources, http URLs url sources",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                        {"type": "image_url", "image_url": {"url": "https://x.test/a.jpg"}},
                    ],
                }
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        text("what is this?"),
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}},
                    ],
                }
            ]
        },
    ),
    (
        "a PDF file part becomes a document block",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}}
                    ],
                }
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": "JVBE",
                            },
                        }
                    ],
                }
            ]
        },
    ),
    (
        "tool calls become tool_use blocks; consecutive tool results one user turn, first",
        {
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": "Checking.", "tool_calls": [CALL, CALL_2]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                {
                    "role": "tool",
                    "tool_call_id": "call_2",
                    "content": [{"type": "text", "text": "rain"}],
                },
                {"role": "user", "content": "and so?"},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": [text("weather?")]},
                {
                    "role": "assistant",
                    "content": [
                        text("Checking."),
                        {
                            "type": "tool_use",
                            "id": "call_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        },
                        {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                        {"type": "tool_result", "tool_use_id": "call_2", "content": "rain"},
                        text("and so?"),
                    ],
                },
            ]
        },
    ),
    (
        "consecutive same-role messages are merged; empty assistant turns dropped",
        {
            "messages": [
                {"role": "user", "content": "one"},
                {"role": "assistant", "content": ""},
                {"role": "user", "content": "two"},
                {"role": "assistant", "content": "a"},
                {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": [text("one"), text("two")]},
                {"role": "assistant", "content": [text("a"), text("b")]},
            ]
        },
    ),
    (
        "tool results after user text still come first in the merged turn",
        {
            "messages": [
                {"role": "assistant", "content": None, "tool_calls": [CALL]},
                {"role": "user", "content": "note"},
                {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
            ]
        },
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "call_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "call_1", "content": "ok"},
                        text("note"),
                    ],
                },
            ]
        },
    ),
    (
        "tools become name / description / input_schema; auto by default",
        {"messages": HI, "tools": [WEATHER_TOOL]},
        {
            "tools": [
                {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "input_schema": WEATHER_TOOL["function"]["parameters"],  # type: ignore[index]
                }
            ],
            "tool_choice": {"type": "auto"},
        },
    ),
    (
        "a tool without parameters gets an empty object schema",
        {"messages": HI, "tools": [{"type": "function", "function": {"name": "now"}}]},
        {"tools": [{"name": "now", "input_schema": {"type": "object", "properties": {}}}]},
    ),
    (
        "tool_choice required → any",
        {"messages": HI, "tools": [WEATHER_TOOL], "tool_choice": "required"},
        {"tool_choice": {"type": "any"}},
    ),
    (
        "tool_choice naming a function → tool",
        {
            "messages": HI,
            "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        {"tool_choice": {"type": "tool", "name": "get_weather"}},
    ),
    (
        "parallel_tool_calls false disables parallel tool use",
        {"messages": HI, "tools": [WEATHER_TOOL], "parallel_tool_calls": False},
        {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}},
    ),
    (
        "tool_choice none keeps tools when the conversation already holds tool blocks",
        {
            "messages": [
                {"role": "assistant", "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
            ],
            "tools": [WEATHER_TOOL],
            "tool_choice": "none",
        },
        {"tool_choice": {"type": "none"}},
    ),
    (
        "json_object becomes an instruction in system",
        {"messages": HI, "response_format": {"type": "json_object"}},
        {"system": JSON_INSTRUCTION},
    ),
    ("a stream asks for one", {"messages": HI, "stream": True}, {"stream": True}),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_translation(body: dict[str, Any], expected: dict[str, Any]) -> None:
    payload = translate(body, stream=bool(body.get("stream")))
    for key, value in expected.items():
        assert payload[key] == value, key


def test_openai_only_parameters_are_dropped() -> None:
    body = {"messages": HI, "seed": 1, "presence_penalty": 1, "logprobs": True, "n": 1}
    payload = translate(body)
    assert set(payload) == {"model", "max_tokens", "messages"}


def test_tool_choice_none_drops_tools_in_a_fresh_conversation() -> None:
    payload = translate({"messages": HI, "tools": [WEATHER_TOOL], "tool_choice": "none"})
    assert "tools" not in payload and "tool_choice" not in payload


def test_a_json_schema_is_spelled_out_after_the_system_prompt() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    body = {
        "messages": [{"role": "system", "content": "Be brief."}, *HI],
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    }
    system = translate(body)["system"]
    assert system.startswith("Be brief.\n\n" + JSON_INSTRUCTION)
    assert orjson.dumps(schema).decode() in system


def test_a_model_missing_from_the_catalogue_gets_a_fallback_max_tokens() -> None:
    adapter = AnthropicAdapter("http://up")
    request = adapter.chat_request({"messages": HI}, "claude-unknown", "k", stream=False)
    assert orjson.loads(request.body)["max_tokens"] == 4096


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("n > 1", {"messages": HI, "n": 2}, "n"),
    (
        "arguments that are not a JSON object",
        {
            "messages": [
                {
                    "role": "assistant",
                    "tool_calls": [{**CALL, "function": {"name": "f", "arguments": "[1"}}],
                }
            ]
        },
        "messages[0].tool_calls[0]",
    ),
    (
        "audio parts",
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        "messages[0].content[0]",
    ),
    (
        "an image URL that is neither http(s) nor data",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}],
                }
            ]
        },
        "messages[0].content[0]",
    ),
    (
        "a data URL that is not base64",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}],
                }
            ]
        },
        "messages[0].content[0]",
    ),
    (
        "legacy function messages",
        {"messages": [{"role": "function", "name": "f", "content": "x"}]},
        "messages[0].role",
    ),
    (
        "a tool message without its call id",
        {"messages": [{"role": "tool", "content": "x"}]},
        "messages[0].tool_call_id",
    ),
    (
        "an unknown tool_choice",
        {"messages": HI, "tools": [WEATHER_TOOL], "tool_choice": "sometimes"},
        "tool_choice",
    ),
    (
        "a tool that is not a function",
        {"messages": HI, "tools": [{"type": "custom", "custom": {}}]},
        "tools[0]",
    ),
]


@pytest.mark.parametrize(("body", "param"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_what_anthropic_cannot_take_is_a_400_naming_the_param(
    body: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        translate(body)
    assert caught.value.status == 400
    assert caught.value.param == param
