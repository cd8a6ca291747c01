"""Deterministic answer text and cheap token counts.

Answers are sentences picked from a fixed bank by a digest of the request, so the same
conversation always gets the same answer. Tokens are a cheap stand-in for a real
tokenizer: a word piece of at most eight characters or one punctuation mark, with its
leading whitespace; streaming sends one token per chunk, so a completion's token count
is exactly the number of chunks that carried it. Prompts are counted as characters / 4.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_TOKEN = re.compile(r"\s*\w{1,8}|\s*[^\w\s]|\s+")

SENTENCES: tuple[str, ...] = (
    "Here is a short overview of the main points.",
    "The most important factor is usually the shape of the data you already have.",
    "In practice, a small experiment will tell you more than a long debate.",
    "Start with the simplest approach that could work, then measure it.",
    "There are three common ways to handle this, each with its own trade-offs.",
    "The first option is quick to set up but harder to scale later.",
    "The second option takes more effort up front and pays off over time.",
    "It also helps to write down the assumptions before you commit to a plan.",
    "Most teams find that clear naming saves more time than clever code.",
    "If performance matters, profile first instead of guessing where the time goes.",
    "A cache in front of the slow step often gives the biggest win.",
    "Keep the error messages specific, so the next person can act on them.",
    "Tests that describe behaviour are easier to trust than tests that mirror code.",
    "You can roll the change out gradually and watch the metrics as you go.",
    "The trade-off is a little more complexity in exchange for predictable costs.",
    "For a first version, a single well-chosen default is usually enough.",
    "Historically, this problem was solved with batch jobs that ran overnight.",
    "Today the same result can be computed incrementally as events arrive.",
    "The key idea is to separate the decision from the side effects.",
    "That way the logic stays easy to test and easy to change.",
    "As a rule of thumb, optimise for the reader of the code, not the writer.",
    "The documentation describes the defaults and how to override them.",
    "Be careful with time zones when you compare dates across regions.",
    "A good summary states the conclusion first and the details after.",
    "Security reviews are cheaper when they happen early in the design.",
    "Retries with exponential backoff smooth over most transient failures.",
    "Make sure every retry is safe to repeat, or give each request an idempotency key.",
    "Monitoring should tell you what is broken, not just that something is.",
    "The numbers suggest a steady improvement over the last quarter.",
    "On balance, the simpler design is the better choice here.",
    "Let me know if you would like a more detailed example.",
    "I hope this helps you decide on the next step.",
    "To summarise, measure, simplify, and iterate.",
    "Paris is the capital of France and its largest city.",
    "Water boils at one hundred degrees Celsius at sea level.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "A well-written prompt states the goal, the context and the expected format.",
    "Large language models predict the next token from the tokens before it.",
    "Smaller models are cheaper and faster, while larger ones handle harder tasks.",
    "Routing each request to the right model keeps both quality and cost in check.",
)


def tokenize(text: str) -> tuple[str, ...]:
    """Split `text` into sandbox tokens; joining them gives `text` back."""
    return tuple(_TOKEN.findall(text))


_FIRST = tuple(tokenize(s) for s in SENTENCES)
_FOLLOWING = tuple(tokenize(" " + s) for s in SENTENCES)


def digest(*parts: bytes) -> bytes:
    """A 16-byte digest of the given parts, the seed of every deterministic choice."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part)
        h.update(b"\x1f")
    return h.digest()


def variant(seed: bytes, index: int) -> bytes:
    """A digest derived from `seed` for the `index`-th alternative (e.g. choice n)."""
    return seed if index == 0 else digest(seed, index.to_bytes(4, "little"))


def answer_tokens(seed: bytes) -> tuple[str, ...]:
    """A deterministic answer of two to five sentences, as tokens."""
    count = 2 + seed[0] % 4
    picks = [seed[1 + i] % len(SENTENCES) for i in range(count)]
    tokens = _FIRST[picks[0]]
    for pick in picks[1:]:
        tokens += _FOLLOWING[pick]
    return tokens


def sentence(seed: bytes, offset: int = 0) -> str:
    """One sentence of the bank chosen by `seed` (and `offset` for a different one)."""
    return SENTENCES[(seed[(offset + 5) % len(seed)] + offset) % len(SENTENCES)]


def count_text_tokens(text: str) -> int:
    """The prompt-side token estimate of `text`: characters / 4, rounded up."""
    return (len(text) + 3) // 4


@lru_cache(maxsize=256)
def fingerprint(model: str) -> str:
    """A stable `system_fingerprint` for a model name."""
    return "fp_" + hashlib.blake2b(model.encode(), digest_size=5).hexdigest()


def cut_at_stop(
    tokens: tuple[str, ...], stops: tuple[str, ...]
) -> tuple[tuple[str, ...], str | None]:
    """Truncate `tokens` before the earliest stop sequence; return them and the stop hit."""
    if not stops:
        return tokens, None
    text = "".join(tokens)
    hits = [(pos, stop) for stop in stops if stop and (pos := text.find(stop)) >= 0]
    if not hits:
        return tokens, None
    position, stop = min(hits)
    kept: list[str] = []
    length = 0
    for token in tokens:
        if length + len(token) > position:
            if position > length:
                kept.append(token[: position - length])
            break
        kept.append(token)
        length += len(token)
    return tuple(kept), stop
