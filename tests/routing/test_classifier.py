"""The classifier's table: each row a request and the class it must get."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.routing.classifier import Complexity, classify_body, features, points

S, M, C = Complexity.SIMPLE, Complexity.MEDIUM, Complexity.COMPLEX
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
CODE = "```python\ndef add(a, b):\n    return a + b\n```"


def ask(text: str, prompt_tokens: int = 20, **fields: Any) -> tuple[dict[str, Any], int]:
    return {"messages": [{"role": "user", "content": text}], **fields}, prompt_tokens


def conversation(turns: int) -> dict[str, Any]:
    roles = ("user", "assistant")
    return {"messages": [{"role": roles[i % 2], "content": "ok"} for i in range(turns)]}


CASES: list[tuple[str, tuple[dict[str, Any], int], Complexity]] = [
    ("a greeting", ask("Say hello to RouterAI."), S),
    ("a short fact", ask("What is the capital of France?"), S),
    ("one why", ask("Why is the sky blue?"), S),
    ("small arithmetic", ask("What is 2 + 2?"), S),
    ("a date is not math", ask("Summarise the release of 2024-08-06."), S),
    ("tools alone", ({**ask("Weather in Paris?")[0], "tools": [TOOL]}, 20), S),
    ("a code keyword or two", ask("Rename this function please"), S),
    ("a code block", ask(f"Explain this:\n{CODE}"), M),
    ("two reasoning cues", ask("Compare the trade-offs of these options."), M),
    ("a long prompt", ask("Summarise the attached report.", prompt_tokens=2_500), M),
    ("a long answer", ask("Write a story.", max_tokens=4_000), M),
    ("a deep conversation", (conversation(12), 200), M),
    ("math with a proof", ask("Prove that the integral of x^2 from 0 to 1 equals 1/3."), C),
    (
        "code to debug, step by step",
        ask(f"Debug this step by step and analyze why it fails:\n{CODE}"),
        C,
    ),
    (
        "a long design question",
        ask("Design the architecture and justify the trade-offs.", prompt_tokens=9_000),
        C,
    ),
    (
        "tools, code and a long answer",
        ({**ask(f"Refactor:\n{CODE}")[0], "tools": [TOOL], "max_tokens": 2_000}, 20),
        C,
    ),
]


@pytest.mark.parametrize(("name", "request_", "expected"), CASES, ids=[c[0] for c in CASES])
def test_classification(
    name: str, request_: tuple[dict[str, Any], int], expected: Complexity
) -> None:
    body, prompt_tokens = request_
    assert classify_body(body, prompt_tokens) is expected


def test_only_user_text_carries_cues() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Prove every claim step by step and analyze trade-offs."},
            {"role": "user", "content": "Hi!"},
        ]
    }
    assert classify_body(body, 30) is S


def test_text_parts_are_read() -> None:
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": f"Explain:\n{CODE}"}]},
        ]
    }
    found = features(body, 20)
    assert found.code_fence and points(found) == 2


def test_the_scan_is_bounded() -> None:
    body, tokens = ask("```" + "x" * 50_000)
    assert not features(body, tokens).code_fence  # the fence is beyond the scanned tail


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Call setup() first", True),
        ("#include <stdio.h>", True),
        ("x => x + 1", True),
        ("std::vector", True),
        ("let x = 1;\nnext", True),
        ("if ready {  \n", True),
        ("Where is the STACK TRACE?", True),
        ("an empty pair () of brackets", False),
        ("a sentence; then more", False),
        ("Say hello.", False),
    ],
)
def test_each_code_signal(text: str, code: bool) -> None:
    assert features(*ask(text)).code_keywords is code


@pytest.mark.parametrize(
    ("text", "math", "proof"),
    [
        ("$$x^2$$", True, False),
        (r"Simplify \frac{1}{2}", True, False),
        ("What is 3 - 4?", True, False),
        ("The Eigenvalues, please", True, False),
        ("Show that 2 * 3 is even", True, True),
        ("Derive 1 + 1", True, True),
        ("The 2024-08-06 release", False, False),
        ("It shows that we care", False, False),
    ],
)
def test_each_math_and_proof_signal(text: str, math: bool, proof: bool) -> None:
    found = features(*ask(text))
    assert (found.math, found.proof) == (math, proof)
