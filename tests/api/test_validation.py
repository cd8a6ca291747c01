"""Body validation is pure: each bad field is a 400 naming its param; good bodies pass."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.api.validation import (
    MAX_DEPTH,
    MAX_EMBEDDING_INPUTS,
    MAX_EMBEDDING_TOKENS,
    check_embedding_tokens,
    parse_json_object,
    requested_output_tokens,
    validate_chat,
    validate_embeddings,
)
from gateway.errors import InvalidRequest

OK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    "body",
    [
        OK,
        {**OK, "messages": [{"role": "assistant", "content": None, "tool_calls": []}]},
        {**OK, "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
        {
            **OK,
            "max_tokens": 1,
            "n": 128,
            "temperature": 0,
            "top_p": 1,
            "stream": False,
            "stop": ["x"],
            "tools": [],
            "stream_options": {"include_usage": True},
        },
        {**OK, "temperature": 1.5, "unknown_vendor_field": {"kept": True}},
    ],
)
def test_valid_chat_bodies_pass(body: dict[str, Any]) -> None:
    validate_chat(body)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": OK["messages"]}, "model"),
        ({**OK, "model": ""}, "model"),
        ({**OK, "model": ["gpt"]}, "model"),
        ({"model": "m"}, "messages"),
        ({**OK, "messages": {}}, "messages"),
        ({**OK, "messages": ["hi"]}, "messages[0]"),
        ({**OK, "messages": [{"content": "hi"}]}, "messages[0].role"),
        ({**OK, "messages": [{"role": "user", "content": {"a": 1}}]}, "messages[0].content"),
        ({**OK, "max_tokens": 0}, "max_tokens"),
        ({**OK, "max_tokens": True}, "max_tokens"),
        ({**OK, "max_completion_tokens": 2.5}, "max_completion_tokens"),
        ({**OK, "n": 129}, "n"),
        ({**OK, "temperature": -0.1}, "temperature"),
        ({**OK, "temperature": "hot"}, "temperature"),
        ({**OK, "top_p": 2}, "top_p"),
        ({**OK, "stream": 1}, "stream"),
        ({**OK, "stream_options": True}, "stream_options"),
        ({**OK, "tools": {}}, "tools"),
        ({**OK, "stop": 3}, "stop"),
    ],
)
def test_invalid_chat_bodies_name_the_param(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_chat(body)
    assert caught.value.param == param
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x"}, "model"),
        ({"model": "e"}, "input"),
        ({"model": "e", "input": ""}, "input"),
        ({"model": "e", "input": []}, "input"),
        ({"model": "e", "input": [1, "a"]}, "input"),
        ({"model": "e", "input": [[]]}, "input"),
        ({"model": "e", "input": "x", "encoding_format": "hex"}, "encoding_format"),
        ({"model": "e", "input": "x", "dimensions": 0}, "dimensions"),
    ],
)
def test_invalid_embedding_bodies_name_the_param(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_embeddings(body)
    assert caught.value.param == param


@pytest.mark.parametrize("value", ["a", ["a", "b"], [1, 2], [[1], [2, 3]]])
def test_every_embedding_input_form_passes(value: Any) -> None:
    validate_embeddings({"model": "e", "input": value})


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        (["x"] * MAX_EMBEDDING_INPUTS, True),
        (["x"] * (MAX_EMBEDDING_INPUTS + 1), False),
        ([[1]] * MAX_EMBEDDING_INPUTS, True),
        ([[1]] * (MAX_EMBEDDING_INPUTS + 1), False),
        (["x"] * 100_000, False),
        ([1] * 100_000, True),  # one input of 100,000 tokens: its tokens are bounded apart
    ],
    ids=["2048 strings", "2049 strings", "2048 arrays", "2049 arrays", "100k strings", "1 array"],
)
def test_an_embeddings_input_holds_at_most_2048_items(value: list[Any], allowed: bool) -> None:
    body = {"model": "e", "input": value}
    if allowed:
        validate_embeddings(body)
        return
    with pytest.raises(InvalidRequest) as caught:
        validate_embeddings(body)
    assert caught.value.param == "input" and f"{len(value):,} items" in caught.value.message


def test_an_embeddings_input_holds_at_most_300_000_tokens() -> None:
    check_embedding_tokens(MAX_EMBEDDING_TOKENS)
    with pytest.raises(InvalidRequest) as caught:
        check_embedding_tokens(MAX_EMBEDDING_TOKENS + 1)
    assert caught.value.param == "input" and "300,001 tokens" in caught.value.message


@pytest.mark.parametrize("raw", [b"", b"nope", b"[]", b"1", b'"s"', b"\xff"])
def test_only_a_json_object_parses(raw: bytes) -> None:
    with pytest.raises(InvalidRequest):
        parse_json_object(raw)


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    assert requested_output_tokens({"max_tokens": 5, "max_completion_tokens": 9}) == 9
    assert requested_output_tokens({"max_tokens": 5}) == 5
    assert requested_output_tokens({}) is None


def nested(levels: int) -> bytes:
    """A chat body whose `metadata` nests `levels` arrays (built as text: deeper than
    orjson would serialise)."""
    head = orjson.dumps(OK)[:-1]
    return head + b',"metadata":' + b"[" * levels + b'"deep"' + b"]" * levels + b"}"


def test_bodies_nested_too_deeply_are_refused() -> None:
    for levels in (MAX_DEPTH - 2, MAX_DEPTH - 1):  # the body itself is the first level
        assert parse_json_object(nested(levels))["model"] == "gpt-4o-mini"
    for levels in (MAX_DEPTH, 300, 1000):
        with pytest.raises(InvalidRequest, match="nests more than"):
            parse_json_object(nested(levels))


def test_wide_bodies_with_more_brackets_than_the_depth_limit_are_not_deep() -> None:
    messages = [{"role": "user", "content": "[{" * 50}] * (MAX_DEPTH * 2)
    raw = orjson.dumps({**OK, "messages": messages})
    assert len(parse_json_object(raw)["messages"]) == MAX_DEPTH * 2


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**OK, "messages": [{"role": ["user"], "content": "x"}]}, "messages[0].role"),
        ({**OK, "messages": [{"role": "user", "content": ["x"]}]}, "messages[0].content[0]"),
        (
            {**OK, "messages": [{"role": "user", "content": [{"type": 1}]}]},
            "messages[0].content[0].type",
        ),
        (
            {**OK, "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
            "messages[0].content[0].text",
        ),
        (
            {
                **OK,
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": 3}]}],
            },
            "messages[0].content[0].image_url",
        ),
        ({**OK, "messages": [{"role": "assistant", "tool_calls": {}}]}, "messages[0].tool_calls"),
        (
            {**OK, "messages": [{"role": "assistant", "tool_calls": [3]}]},
            "messages[0].tool_calls[0]",
        ),
        (
            {**OK, "messages": [{"role": "assistant", "tool_calls": [{"function": {"name": 1}}]}]},
            "messages[0].tool_calls[0].function.name",
        ),
        ({**OK, "tools": ["x"]}, "tools[0]"),
        ({**OK, "tools": [{"type": "function", "function": "f"}]}, "tools[0].function"),
        (
            {**OK, "tools": [{"type": "function", "function": {"name": "f", "parameters": []}}]},
            "tools[0].function.parameters",
        ),
        ({**OK, "functions": [{"name": ["f"]}]}, "functions[0].name"),
        ({**OK, "response_format": "json"}, "response_format"),
        ({**OK, "response_format": {"type": ["json_object"]}}, "response_format.type"),
    ],
)
def test_mistyped_nested_parts_name_their_path(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_chat(body)
    assert caught.value.param == param
