"""The Messages API, driven through the official Anthropic SDK with strict validation."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import MessageParam, ToolParam

from tests.sandbox.shapes import CLAUDE_HELLO as HELLO
from tests.sandbox.shapes import claude_text, claude_tool_use

MODEL = "claude-sonnet-4-20250514"
LOOKUP_TOOL: ToolParam = {
    "name": "lookup_order",
    "description": "Find an order.",
    "input_schema": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "include_items": {"type": "boolean"},
        },
        "required": ["order_id", "email"],
    },
}
VERSION = {"anthropic-version": "2023-06-01"}


def _error_body(error: anthropic.APIStatusError) -> dict[str, Any]:
    body: dict[str, Any] = error.response.json()
    return body


def test_message_is_shaped_like_anthropic(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=200, system="You are terse.", messages=HELLO
    )

    assert message.id.startswith("msg_")
    assert message.type == "message" and message.role == "assistant"
    assert message.model == MODEL
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert claude_text(message).endswith(".")
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 5


def test_system_prompt_is_part_of_the_conversation(anthropic_client: anthropic.Anthropic) -> None:
    def text(system: str) -> str:
        return claude_text(
            anthropic_client.messages.create(
                model=MODEL, max_tokens=200, system=system, messages=HELLO
            )
        )

    assert text("A") == text("A")
    assert len({text(s) for s in ("A", "B", "C", "D")}) > 1


def test_stream_event_sequence_is_anthropics(http: httpx.Client) -> None:
    response = http.post(
        "/anthropic/v1/messages",
        json={"model": MODEL, "max_tokens": 100, "messages": HELLO, "stream": True},
        headers={"x-api-key": "sk-ant-test", **VERSION},
    )

    assert response.headers["request-id"].startswith("req_")
    names = [
        line.removeprefix("event: ")
        for line in response.text.splitlines()
        if line.startswith("event: ")
    ]
    deltas = names.count("content_block_delta")
    assert deltas > 3
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_streamed_text_and_usage_match_the_json_answer(
    anthropic_client: anthropic.Anthropic,
) -> None:
    whole = anthropic_client.messages.create(model=MODEL, max_tokens=300, messages=HELLO)
    with anthropic_client.messages.stream(model=MODEL, max_tokens=300, messages=HELLO) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()

    assert "".join(pieces) == claude_text(whole)
    assert final.usage.output_tokens == len(pieces) == whole.usage.output_tokens
    assert final.stop_reason == "end_turn"


def test_tool_use_block_has_input_from_the_schema(anthropic_client: anthropic.Anthropic) -> None:
    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=300, messages=HELLO, tools=[LOOKUP_TOOL]
    )

    assert message.stop_reason == "tool_use"
    block = claude_tool_use(message)
    assert block.id.startswith("toolu_") and block.name == "lookup_order"
    assert isinstance(block.input, dict)
    assert set(block.input) == {"order_id", "email"}
    assert "@" in str(block.input["email"])


def test_streamed_tool_use_arrives_as_input_json_deltas(
    anthropic_client: anthropic.Anthropic,
) -> None:
    partials: list[str] = []
    with anthropic_client.messages.stream(
        model=MODEL, max_tokens=300, messages=HELLO, tools=[LOOKUP_TOOL]
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                partials.append(event.delta.partial_json)
        final = stream.get_final_message()

    assert len(partials) > 3
    assert final.stop_reason == "tool_use"
    (block,) = final.content
    assert block.type == "tool_use" and block.input == json.loads("".join(partials))


def test_tool_result_gets_a_text_answer(anthropic_client: anthropic.Anthropic) -> None:
    conversation: list[MessageParam] = [
        {"role": "user", "content": "Where is order 7?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup_order", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "shipped"}],
        },
    ]

    message = anthropic_client.messages.create(
        model=MODEL, max_tokens=300, tools=[LOOKUP_TOOL], messages=conversation
    )

    assert message.stop_reason == "end_turn"
    assert claude_text(message)


def test_max_tokens_and_stop_sequences_end_the_message(
    anthropic_client: anthropic.Anthropic,
) -> None:
    short = anthropic_client.messages.create(model=MODEL, max_tokens=3, messages=HELLO)
    full_text = claude_text(
        anthropic_client.messages.create(model=MODEL, max_tokens=300, messages=HELLO)
    )
    stop = full_text.split()[2]
    stopped = anthropic_client.messages.create(
        model=MODEL, max_tokens=300, messages=HELLO, stop_sequences=[stop]
    )

    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 3
    assert stopped.stop_reason == "stop_sequence" and stopped.stop_sequence == stop
    assert claude_text(stopped) == full_text[: full_text.index(stop)]


def test_structured_output_answers_json_matching_the_schema(
    anthropic_client: anthropic.Anthropic,
) -> None:
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"verdict": {"type": "string", "enum": ["yes", "no"]}},
        "required": ["verdict"],
    }
    message = anthropic_client.messages.create(
        model=MODEL,
        max_tokens=300,
        messages=HELLO,
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )

    assert json.loads(claude_text(message))["verdict"] in ("yes", "no")


def test_api_key_and_bearer_auth_are_both_accepted(sandbox_url: str) -> None:
    base_url = f"{sandbox_url}/anthropic"
    bearer = anthropic.Anthropic(
        base_url=base_url, api_key=None, auth_token="sk-ant-a", max_retries=0
    )
    api_key = anthropic.Anthropic(base_url=base_url, api_key="sk-ant-b", max_retries=0)

    for client in (bearer, api_key):
        assert client.messages.create(model=MODEL, max_tokens=10, messages=HELLO).content


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        (VERSION, 401, "authentication_error"),
        ({"x-api-key": "invalid-key", **VERSION}, 401, "authentication_error"),
        ({"authorization": "Bearer invalid", **VERSION}, 401, "authentication_error"),
        ({"x-api-key": "sk-ant-test"}, 400, "invalid_request_error"),
    ],
)
def test_credentials_and_version_header_are_checked(
    http: httpx.Client, headers: dict[str, str], status: int, kind: str
) -> None:
    response = http.post(
        "/anthropic/v1/messages",
        json={"model": MODEL, "max_tokens": 10, "messages": HELLO},
        headers=headers,
    )

    assert response.status_code == status
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == kind


def test_invalid_key_raises_authentication_error(sandbox_url: str) -> None:
    client = anthropic.Anthropic(
        base_url=f"{sandbox_url}/anthropic", api_key="invalid", max_retries=0
    )
    with pytest.raises(anthropic.AuthenticationError):
        client.messages.create(model=MODEL, max_tokens=10, messages=HELLO)


def test_missing_max_tokens_is_invalid_request(anthropic_client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.post(
            "/v1/messages",
            body={"model": MODEL, "messages": HELLO},
            cast_to=anthropic.types.Message,
        )

    error = _error_body(caught.value)["error"]
    assert error["type"] == "invalid_request_error"
    assert "max_tokens" in error["message"]


def test_unknown_model_is_not_found_error(anthropic_client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        anthropic_client.messages.create(model="claude-9", max_tokens=10, messages=HELLO)
    assert _error_body(caught.value)["error"]["type"] == "not_found_error"


def test_count_tokens_and_models(anthropic_client: anthropic.Anthropic) -> None:
    counted = anthropic_client.messages.count_tokens(model=MODEL, messages=HELLO)
    message = anthropic_client.messages.create(model=MODEL, max_tokens=10, messages=HELLO)
    models = [m.id for m in anthropic_client.models.list()]

    assert counted.input_tokens == message.usage.input_tokens
    assert MODEL in models and all(m.startswith("claude") for m in models)
