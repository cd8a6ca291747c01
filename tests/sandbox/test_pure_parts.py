"""The pure parts of the sandbox, as tables: fault syntax, schema values, text, framing, config."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from gateway.sandbox.config import DEFAULT_LATENCY, ProviderLatency, SandboxConfig
from gateway.sandbox.faults import Fault, FaultBoard, FaultSyntaxError, parse_fault
from gateway.sandbox.framing import (
    PAD_LINE_BYTES,
    SSE_DONE,
    corrupt,
    corrupt_stream,
    ndjson,
    pad_body,
    pad_stream,
    sse,
    sse_event,
)
from gateway.sandbox.generation import Finish, GenerationRequest, ToolSpec, generate
from gateway.sandbox.schema_values import sample
from gateway.sandbox.text import answer_tokens, cut_at_stop, digest, tokenize

SEED = digest(b"tests")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Fault()),
        ("latency=120", Fault(latency_ms=120)),
        ("error=503", Fault(error_status=503)),
        ("error=529@4", Fault(error_status=529, error_after=4)),
        ("hang", Fault(hang=True)),
        ("cut=0", Fault(cut_after=0)),
        ("malformed", Fault(malformed=True)),
        ("pad=100000", Fault(pad_bytes=100_000)),
        (" latency=50 , error=500 ", Fault(latency_ms=50, error_status=500)),
        ("latency=10;cut=3", Fault(latency_ms=10, cut_after=3)),
    ],
)
def test_fault_syntax(text: str, expected: Fault) -> None:
    assert parse_fault(text) == expected


@pytest.mark.parametrize(
    "text",
    ["boom", "error=200", "error=abc", "latency=-5", "cut=", "hang=1", "error=500@x", "pad=-1"],
)
def test_invalid_fault_syntax(text: str) -> None:
    with pytest.raises(FaultSyntaxError):
        parse_fault(text)


def test_fault_board_counts_down_then_disarms() -> None:
    board = FaultBoard()
    board.arm("groq", "error=500", count=2)
    board.arm("*", "latency=5", count=None)

    taken = [board.take("groq") for _ in range(3)]

    assert [f.error_status for f in taken] == [500, 500, None]
    assert taken[2].latency_ms == 5
    assert board.take("openai").latency_ms == 5
    assert board.snapshot() == {"*": {"fault": "latency=5", "remaining": None}}


SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "string", "minLength": 40}}, "required": ["a"]},
    {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 10, "maximum": 12},
            "x": {"type": "number", "exclusiveMaximum": 1},
        },
    },
    {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 5}
        },
    },
    {"type": "object", "properties": {"kind": {"enum": ["a", "b"]}, "k": {"const": 7}}},
    {
        "type": "object",
        "properties": {
            "maybe": {"type": ["string", "null"]},
            "either": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
        },
    },
    {
        "$defs": {
            "pt": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
        },
        "type": "object",
        "properties": {"p": {"$ref": "#/$defs/pt"}},
        "required": ["p"],
    },
    {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "boolean"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string", "format": "date-time"}}, "required": ["b"]},
        ]
    },
    {
        "type": "object",
        "properties": {
            "nested": {
                "type": "object",
                "properties": {
                    "deep": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"id": {"type": "string", "maxLength": 3}},
                            "required": ["id"],
                        },
                    }
                },
            }
        },
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_sampled_values_validate_against_their_schema(schema: dict[str, Any]) -> None:
    value = sample(schema, SEED)

    jsonschema.validate(value, schema)
    assert value == sample(schema, SEED)


def test_sampled_strings_follow_property_names() -> None:
    schema = {
        "type": "object",
        "properties": {
            "userEmail": {"type": "string"},
            "city": {"type": "string"},
            "max_results": {"type": "integer"},
        },
    }

    value = sample(schema, SEED)

    assert "@" in value["userEmail"] and value["city"] == "Paris"
    assert value["max_results"] == 10


def test_tokens_join_back_into_the_text() -> None:
    text = 'Hello, world! {"a": [1, 2]}\n  extraordinarily'

    assert "".join(tokenize(text)) == text
    assert max(len(t.strip()) for t in tokenize(text)) <= 8


def test_answers_are_deterministic_per_seed() -> None:
    assert answer_tokens(SEED) == answer_tokens(digest(b"tests"))
    assert answer_tokens(SEED) != answer_tokens(digest(b"other"))


@pytest.mark.parametrize(
    ("stops", "kept", "hit"),
    [
        ((), "one two three", None),
        (("zzz",), "one two three", None),
        ((" two",), "one", " two"),
        (("thr", "o t"), "one tw", "o t"),
        (("ne",), "o", "ne"),
    ],
)
def test_cut_at_stop(stops: tuple[str, ...], kept: str, hit: str | None) -> None:
    tokens, stop = cut_at_stop(tokenize("one two three"), stops)

    assert "".join(tokens) == kept and stop == hit


def test_generation_limits_and_tool_calls() -> None:
    tool = ToolSpec(
        "f", {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    )

    limited = generate(GenerationRequest(SEED, max_tokens=2))
    called = generate(GenerationRequest(SEED, tool=tool))

    assert limited.finish is Finish.LENGTH and limited.token_count == 2
    assert called.finish is Finish.TOOL_CALL
    assert json.loads(called.text) == called.arguments and "q" in called.arguments


def test_corrupted_frames_keep_their_framing_but_not_their_json() -> None:
    for frame in (sse({"a": "bcdef"}), sse_event("x", {"a": "bcdef"}), ndjson({"a": "bcdef"})):
        broken = corrupt(frame)
        payload = broken.split(b"data: ")[-1].strip()
        assert broken.endswith(b"\n")
        with pytest.raises(json.JSONDecodeError):
            json.loads(payload)
    assert corrupt_stream([b"a\n", b"b\n"])[0] == b"a\n"


def test_padding_makes_an_answer_longer_and_means_nothing() -> None:
    body = json.dumps({"id": "x", "choices": []}).encode()
    padded = pad_body(body, 50_000)
    assert len(padded) == len(body) + 50_000 and json.loads(padded) == json.loads(body)

    frames = [sse({"n": 1}), sse({"n": 2}), SSE_DONE]
    stream = pad_stream(frames, 50_000, ndjson=False)
    assert stream[:2] == frames[:2] and stream[-1] == SSE_DONE  # padding before the last frame
    padding = stream[2:-1]
    assert sum(map(len, padding)) >= 50_000
    assert all(p.startswith(b":") and p.endswith(b"\n\n") for p in padding)  # SSE comments
    assert max(map(len, padding)) <= PAD_LINE_BYTES

    lines = pad_stream([ndjson({"n": 1}), ndjson({"done": True})], 20_000, ndjson=True)
    assert all(not line.strip() for line in lines[1:-1]) and sum(map(len, lines[1:-1])) >= 20_000


def test_latency_configuration() -> None:
    assert SandboxConfig().latency_for("groq") == DEFAULT_LATENCY["groq"]
    assert SandboxConfig(latency_ms=0).latency_for("openai") == ProviderLatency(0, 0)
    override = SandboxConfig(latency_ms=0, provider_latency={"ollama": ProviderLatency(5, 1)})
    assert override.latency_for("ollama") == ProviderLatency(5, 1)
    assert override.latency_for("anthropic") == ProviderLatency(0, 0)
    with pytest.raises(ValueError):
        SandboxConfig(provider_latency={"mistral": ProviderLatency(1, 1)})
    with pytest.raises(ValueError):
        SandboxConfig(latency_ms=-1)
