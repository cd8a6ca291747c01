"""The provider-neutral "model": what a simulated completion says, before any wire format.

A protocol module turns its vendor's request into a `GenerationRequest` (a digest of the
conversation, the limits, the output mode) and renders the resulting `Generation` in
its vendor's shape. Everything here is pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from gateway.sandbox.schema_values import sample
from gateway.sandbox.text import answer_tokens, cut_at_stop, sentence, tokenize


class Finish(StrEnum):
    """Why a generation ended, in neutral terms each protocol maps to its own."""

    STOP = "stop"
    LENGTH = "length"
    STOP_SEQUENCE = "stop_sequence"
    TOOL_CALL = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """The tool the simulated model decided to call, with its parameter schema."""

    name: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything that shapes one answer."""

    seed: bytes
    max_tokens: int | None = None
    stops: tuple[str, ...] = ()
    json_mode: bool = False
    json_schema: Mapping[str, Any] | None = None
    tool: ToolSpec | None = None


@dataclass(frozen=True, slots=True)
class Generation:
    """One answer: text tokens, or the argument tokens of one tool call."""

    tokens: tuple[str, ...]
    finish: Finish
    stop_sequence: str | None = None
    tool: ToolSpec | None = None
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The tokens joined: the answer text, or the tool call's arguments as JSON."""
        return "".join(self.tokens)

    @property
    def token_count(self) -> int:
        """Completion tokens: one per token, as one per streamed chunk."""
        return len(self.tokens)


def _json_answer(seed: bytes) -> dict[str, Any]:
    return {
        "answer": sentence(seed, 0),
        "details": sentence(seed, 1),
        "confidence": round(0.6 + (seed[2] % 40) / 100, 2),
    }


def _limit(gen: Generation, max_tokens: int | None) -> Generation:
    if max_tokens is None or gen.token_count <= max_tokens:
        return gen
    return Generation(gen.tokens[:max_tokens], Finish.LENGTH, None, gen.tool, gen.arguments)


def _tool_call(request: GenerationRequest, tool: ToolSpec) -> Generation:
    arguments = sample(tool.parameters, request.seed)
    if not isinstance(arguments, dict):
        arguments = {}
    text = orjson.dumps(arguments).decode()
    return Generation(tokenize(text), Finish.TOOL_CALL, None, tool, arguments)


def _text(request: GenerationRequest) -> Generation:
    if request.json_schema is not None:
        tokens = tokenize(orjson.dumps(sample(request.json_schema, request.seed)).decode())
    elif request.json_mode:
        tokens = tokenize(orjson.dumps(_json_answer(request.seed)).decode())
    else:
        tokens = answer_tokens(request.seed)
    tokens, stop = cut_at_stop(tokens, request.stops)
    if stop is None:
        return Generation(tokens, Finish.STOP)
    return Generation(tokens, Finish.STOP_SEQUENCE, stop)


def generate(request: GenerationRequest) -> Generation:
    """The deterministic answer to `request`, cut to its `max_tokens`."""
    gen = _tool_call(request, request.tool) if request.tool else _text(request)
    return _limit(gen, request.max_tokens)
