"""How hard is a chat request? simple / medium / complex, from cheap features (pure).

Features are read from the body in one pass over the text of the user's messages (the last
`SCAN_CHARS` characters: cues sit near the question, and long pastes are already counted by
their tokens). Each feature adds points; the total picks the class:

    feature                                   points
    prompt ≥ 500 / ≥ 2,000 / ≥ 8,000 tokens   1 / 2 / 3
    code: a fenced block / code keywords      2 / 1
    reasoning cues (prove, step by step, …)   1 per distinct cue, at most 2
    math (equations, LaTeX, integrals, …)     1, or 3 with a proof or derivation cue
    tools offered                             1
    conversation ≥ 6 / ≥ 12 messages          1 / 2
    max output ≥ 1,000 / ≥ 4,000 tokens       1 / 2

    0-1 points: simple      2-3: medium      4 and more: complex
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SCAN_CHARS = 20_000
MEDIUM_POINTS = 2
COMPLEX_POINTS = 4


class Complexity(StrEnum):
    SIMPLE = "simple"
    MEDIUM = "medium"
    COMPLEX = "complex"


@dataclass(frozen=True, slots=True)
class Features:
    prompt_tokens: int
    code_fence: bool
    code_keywords: bool
    reasoning_cues: int
    math: bool
    proof: bool
    tools: bool
    messages: int
    max_output: int | None


_FENCE = re.compile(r"```|~~~")
_CODE = re.compile(
    r"\b(def|class|import|return|function|const|let|var|public|static|void|async|await|"
    r"select|insert|update|traceback|exception|stack trace|segfault|regex|compile[sd]?|"
    r"refactor|debug|unit tests?)\b|#include|=>|::|\w+\(\)|\{\s*$|;\s*$",
    re.MULTILINE,
)
_REASONING = re.compile(
    r"\b(step[- ]by[- ]step|prove|proof|derive|derivation|reason(?:ing)?|analy[sz]e|analysis|"
    r"compare|contrast|trade-?offs?|evaluate|justify|why|design|architect(?:ure)?|optimi[sz]e|"
    r"critique|implications?|pros and cons)\b",
)
_MATH = re.compile(
    r"\\(frac|int|sum|sqrt|lim|begin)\b|\$\$|\b(integral|derivative|equation|theorem|lemma|"
    r"matrix|eigen\w*|probability|polynomial|calculus|algebra)\b|\d\s*[+*/^=]\s*\d|\d\s+-\s+\d",
)
_PROOF = re.compile(r"\b(prove|proof|derive|derivation|show that)\b")


def features(body: dict[str, Any], prompt_tokens: int) -> Features:
    """The features of a chat completion body."""
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    # Lowered once, for patterns written in lower case: two to three times faster than
    # matching with IGNORECASE, which checks each character's case variants.
    text = _user_text(messages)[-SCAN_CHARS:].lower()
    cues = {match.replace(" ", "-") for match in _REASONING.findall(text)}
    output = body.get("max_completion_tokens") or body.get("max_tokens")
    return Features(
        prompt_tokens=prompt_tokens,
        code_fence=bool(_FENCE.search(text)),
        code_keywords=bool(_CODE.search(text)),
        reasoning_cues=len(cues),
        math=bool(_MATH.search(text)),
        proof=bool(_PROOF.search(text)),
        tools=bool(body.get("tools") or body.get("functions")),
        messages=len(messages),
        max_output=output if isinstance(output, int) and not isinstance(output, bool) else None,
    )


def points(f: Features) -> int:
    """The feature table above, summed."""
    total = _steps(f.prompt_tokens, (500, 2_000, 8_000))
    total += 2 if f.code_fence else 1 if f.code_keywords else 0
    total += min(f.reasoning_cues, 2)
    total += (3 if f.proof else 1) if f.math else 0
    total += 1 if f.tools else 0
    total += _steps(f.messages, (6, 12))
    total += _steps(f.max_output or 0, (1_000, 4_000))
    return total


def classify(f: Features) -> Complexity:
    score = points(f)
    if score >= COMPLEX_POINTS:
        return Complexity.COMPLEX
    if score >= MEDIUM_POINTS:
        return Complexity.MEDIUM
    return Complexity.SIMPLE


def classify_body(body: dict[str, Any], prompt_tokens: int) -> Complexity:
    return classify(features(body, prompt_tokens))


def _steps(value: int, thresholds: tuple[int, ...]) -> int:
    """How many of the ascending `thresholds` `value` reaches."""
    return bisect_right(thresholds, value)


def _user_text(messages: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for message in messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
    return "\n".join(parts)
