"""What a body needs: capabilities and room in the context window."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.pricing.catalog import Capability
from gateway.routing.requirements import Needs, needs_of, required_capabilities
from tests.routing.helpers import chat

TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, set()),
        ({"tools": [TOOL]}, {Capability.TOOLS}),
        ({"tools": []}, set()),
        ({"functions": [{"name": "f"}]}, {Capability.TOOLS}),
        ({"response_format": {"type": "json_object"}}, {Capability.JSON_MODE}),
        ({"response_format": {"type": "json_schema", "json_schema": {}}}, {Capability.JSON_MODE}),
        ({"response_format": {"type": "text"}}, set()),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, IMAGE]}]},
            {Capability.VISION},
        ),
        (
            {
                "tools": [TOOL],
                "response_format": {"type": "json_object"},
                "messages": [{"role": "user", "content": [IMAGE]}],
            },
            set(Capability),
        ),
    ],
)
def test_capabilities_come_from_the_body(fields: dict[str, Any], expected: set[Capability]) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], **fields}
    assert required_capabilities(body) == expected


def test_needs_read_output_tokens_and_choices() -> None:
    needs = needs_of({"messages": [], "max_completion_tokens": 300, "n": 2}, 100)
    assert (needs.prompt_tokens, needs.requested_output, needs.choices) == (100, 300, 2)
    assert needs_of({"messages": [], "max_tokens": 50}, 1).requested_output == 50
    assert needs_of({"messages": []}, 1).requested_output is None


@pytest.mark.parametrize(
    ("prompt", "requested", "expected"),
    [
        (1_000, None, 4_000),  # the model's own output limit
        (9_000, None, 1_000),  # what is left of the window
        (1_000, 2_000, 2_000),
        (1_000, 5_000, None),  # more than the model returns
        (9_500, 600, None),  # more than is left
        (10_000, None, None),  # no room at all
    ],
)
def test_output_for_a_model(prompt: int, requested: int | None, expected: int | None) -> None:
    model = chat("openai", "m", 1, 1, 3, context=10_000, max_out=4_000)
    assert Needs(frozenset(), prompt, requested).output_for(model) == expected
