"""What a chat request needs from a model, read from its body (pure).

Capabilities: tools (`tools` or the legacy `functions`), JSON mode (`response_format` of type
`json_object` or `json_schema`) and vision (an `image_url` or `input_image` content part).
Room: the prompt plus the output the request may produce must fit the context window; without
`max_tokens`/`max_completion_tokens`, a model's own output limit (or what is left) is assumed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gateway.pricing.catalog import Capability, ModelInfo

_IMAGE_PARTS = frozenset({"image_url", "input_image"})
_JSON_FORMATS = frozenset({"json_object", "json_schema"})


@dataclass(frozen=True, slots=True)
class Needs:
    """The request's demands on a candidate model."""

    capabilities: frozenset[Capability]
    prompt_tokens: int
    requested_output: int | None
    choices: int = 1

    def output_for(self, model: ModelInfo) -> int | None:
        """Output tokens to reserve on `model`, or None when the request cannot fit it."""
        room = model.context_window - self.prompt_tokens
        wanted = self.requested_output
        output = wanted if wanted is not None else min(model.max_output_tokens, room)
        if 0 < output <= room and output <= model.max_output_tokens:
            return output
        return None


def needs_of(body: dict[str, Any], prompt_tokens: int) -> Needs:
    """The needs of a chat completion body whose prompt counts `prompt_tokens`."""
    return Needs(required_capabilities(body), prompt_tokens, requested_output(body), _n(body))


def required_capabilities(body: dict[str, Any]) -> frozenset[Capability]:
    found = set()
    if body.get("tools") or body.get("functions"):
        found.add(Capability.TOOLS)
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in _JSON_FORMATS:
        found.add(Capability.JSON_MODE)
    if any(part.get("type") in _IMAGE_PARTS for part in content_parts(body)):
        found.add(Capability.VISION)
    return frozenset(found)


def requested_output(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def content_parts(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every structured content part of every message."""
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            yield from (part for part in content if isinstance(part, dict))


def _n(body: dict[str, Any]) -> int:
    value = body.get("n")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1
