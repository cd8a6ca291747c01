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


# Each feature is an either-or of simple checks, tried cheapest first, rather than one
# regular expression with every alternative: a combined pattern defeats the regex engine's
# fast scans and runs several times slower over a long prompt (`benchmarks.router_bench`).
# A pattern that needs a character or phrase runs only when the text has it; the checks are
# spelt out as `or` chains, which cost a fraction of `any()` over a generator on the short
# prompts most requests carry. Patterns are lower case: the text is lowered once, faster
# than matching with IGNORECASE.
_CODE_WORDS = re.compile(
    r"\b(def|class|import|return|function|const|let|var|public|static|void|async|await|"
    r"select|insert|update|traceback|exception|stack trace|segfault|regex|compile[sd]?|"
    r"refactor|debug|unit tests?)\b"
)
_CODE_LINE_END = re.compile(r"[{;]\s*$", re.MULTILINE)
_REASONING = re.compile(
    r"\b(step[- ]by[- ]step|prove|proof|derive|derivation|reason(?:ing)?|analy[sz]e|analysis|"
    r"compare|contrast|trade-?offs?|evaluate|justify|why|design|architect(?:ure)?|optimi[sz]e|"
    r"critique|implications?|pros and cons)\b",
)
_LATEX = re.compile(r"\\(frac|int|sum|sqrt|lim|begin)\b")
_ARITHMETIC = re.compile(r"\d\s*[+*/^=]\s*\d|\d\s+-\s+\d")
_MATH_WORDS = re.compile(
    r"\b(integral|derivative|equation|theorem|lemma|matrix|eigen\w*|probability|polynomial|"
    r"calculus|algebra)\b"
)
_PROOF_CUES = frozenset({"prove", "proof", "derive", "derivation"})  # reasoning cues too
_SHOW_THAT = re.compile(r"\bshow that\b")


def features(body: dict[str, Any], prompt_tokens: int) -> Features:
    """The features of a chat completion body."""
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    text = _user_text(messages)[-SCAN_CHARS:].lower()
    cues = {match.replace(" ", "-") for match in _REASONING.findall(text)}
    output = body.get("max_completion_tokens") or body.get("max_tokens")
    return Features(
        prompt_tokens=prompt_tokens,
        code_fence="```" in text or "~~~" in text,
        code_keywords=_has_code(text),
        reasoning_cues=len(cues),
        math=_has_math(text),
        proof=not cues.isdisjoint(_PROOF_CUES)
        or ("show that" in text and _SHOW_THAT.search(text) is not None),
        tools=bool(body.get("tools") or body.get("functions")),
        messages=len(messages),
        max_output=output if isinstance(output, int) and not isinstance(output, bool) else None,
    )


def _has_code(text: str) -> bool:
    """Code keywords, `#include`, `=>`, `::`, a call such as `f()`, a line ending in { or ;."""
    return (
        "#include" in text
        or "=>" in text
        or "::" in text
        or _calls_without_arguments(text)
        or (("{" in text or ";" in text) and _CODE_LINE_END.search(text) is not None)
        or _CODE_WORDS.search(text) is not None
    )


def _has_math(text: str) -> bool:
    """LaTeX commands or $$, arithmetic between digits, or mathematical terms."""
    return (
        "$$" in text
        or ("\\" in text and _LATEX.search(text) is not None)
        or _ARITHMETIC.search(text) is not None
        or _MATH_WORDS.search(text) is not None
    )


def _calls_without_arguments(text: str) -> bool:
    """A word character right before `()` (what `\\w+\\(\\)` finds, at a fraction of its cost)."""
    at = text.find("()")
    while at != -1:
        if at and (text[at - 1].isalnum() or text[at - 1] == "_"):  # \w, as `re` defines it
            return True
        at = text.find("()", at + 2)
    return False


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
