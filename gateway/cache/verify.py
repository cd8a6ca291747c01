"""The verification step of the semantic tier: two prompts close in meaning must also agree
on every detail that changes the answer.

Sentence embeddings are built to ignore exactly the details a cache must not ignore:
"convert a string to an integer" and "convert an integer to a string" sit at 0.99
cosine similarity, "the square root of 144" and "of 169" at 0.97. So a candidate above
the tenant's threshold is served only if its prompt and the request's prompt have

- the same numbers (digits, number and ordinal words, "a dozen"), in the same order;
- the same units and currencies (after a number or on their own: "in miles");
- the same quoted strings ("…", '…', `…`), each found in the other prompt as a whole;
- the same count of negations (not, never, n't, without, no, except, …);
- the same names: capitalised words inside a sentence, acronyms, camelCase, snake_case,
  dotted and versioned identifiers, each found in the other prompt as a word;
- no reversed direction: "A to B" / "A into B" / "B from A" pairs of content words, where
  one prompt has (A, B) and the other (B, A);
- no flipped pole of an opposite pair (ascending/descending, encrypt/decrypt, max/min, …);
- not exactly one substituted content word: when two prompts differ in one word and
  nothing else, that word was the point of the change (abbreviations such as dict /
  dictionary excepted).

Pure functions of the two texts; `details()` is computed once per text and reusable.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from gateway.cache.lexicon import (
    INFLECTIONS,
    NEGATIONS,
    NUMBER_WORDS,
    OPPOSITES,
    ORDINAL_WORDS,
    STOPWORDS,
    UNIT_AFTER_NUMBER,
    UNITS,
)

_QUOTED = re.compile(
    r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|`([^`\n]{1,200})`"
    r"|(?<![\w'])'([^'\n]{1,200})'(?![\w'])"
)
_TOKEN = re.compile(
    r"[$€£¥₹%°]"
    r"|\d+(?:[.,:]\d+)*(?:st|nd|rd|th)?"
    r"|[^\W\d_][\w'./+#-]*[\w+#]"
    r"|[^\W\d]"
)
_PIECE = re.compile(r"->|=>|→|[^\W_](?:[\w'./+#-]*[\w+#])?|[.,;:?!()\x00]")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_SENTENCE_END = frozenset(".!?:;\n([{\"'“-•*>#")
_DIRECTION_MARKERS = frozenset({"to", "into", "in", "from", "->", "→", "=>"})
_BOUNDARIES = frozenset(".,;:?!()[]{}\x00")
_WINDOW = 3
# Number words that combine into one value ("two hundred", "twenty-five").
_CARDINALS = {
    word: value
    for word, value in NUMBER_WORDS.items()
    if value >= 1
    and float(value).is_integer()
    and word not in {"twice", "double", "triple", "pair", "couple", "dozen", "single"}
}

_POLES: dict[str, list[tuple[int, int]]] = {}
for _group, _pair in enumerate(OPPOSITES):
    for _pole, _forms in enumerate(_pair):
        for _form in _forms:
            for _suffix in INFLECTIONS:
                _POLES.setdefault(_form + _suffix, []).append((_group, _pole))


@dataclass(frozen=True, slots=True)
class Details:
    """The answer-changing details of one prompt."""

    numbers: tuple[str, ...]
    units: frozenset[str]
    quotes: frozenset[str]
    names: frozenset[str]
    negations: int
    poles: frozenset[tuple[int, int]]
    directions: frozenset[tuple[str, str]]
    content: tuple[str, ...]
    words: frozenset[str]
    text: str


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str | None = None  # which detail differs: "number", "unit", "quote", ...


ACCEPT = Verdict(True)


def details(text: str) -> Details:
    """Extract the details of `text` that verification compares."""
    text = _normalized(text)
    quotes = frozenset(_squash(next(g for g in m.groups() if g)) for m in _QUOTED.finditer(text))
    bare = _QUOTED.sub(" \x00 ", text)
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(bare)]
    lowered = [_word(tok) for tok, _ in tokens]
    numbers, units = _numbers_and_units(lowered)
    return Details(
        numbers=tuple(numbers),
        units=frozenset(units),
        quotes=quotes,
        names=frozenset(_names(bare, tokens)),
        negations=sum(1 for w in lowered if w in NEGATIONS or w.endswith("n't")),
        poles=_poles(lowered),
        directions=frozenset(_directions(bare)),
        content=tuple(_stem(w) for w in lowered if _is_content(w)),
        words=frozenset(lowered) | {_possessive(w) for w in lowered},
        text=_squash(text),
    )


def verify(stored: Details, query: Details) -> Verdict:
    """Whether an answer stored for `stored` also answers `query`, detail by detail."""
    for reason, differs in _CHECKS:
        if differs(stored, query):
            return Verdict(False, reason)
    return ACCEPT


def _numbers_differ(a: Details, b: Details) -> bool:
    return a.numbers != b.numbers


def _units_differ(a: Details, b: Details) -> bool:
    return a.units != b.units


def _quotes_differ(a: Details, b: Details) -> bool:
    return not all(_contains(b.text, q) for q in a.quotes) or not all(
        _contains(a.text, q) for q in b.quotes
    )


def _negations_differ(a: Details, b: Details) -> bool:
    return a.negations != b.negations


def _names_differ(a: Details, b: Details) -> bool:
    return not (a.names <= b.words and b.names <= a.words)


def _directions_reversed(a: Details, b: Details) -> bool:
    return any((target, source) in b.directions for source, target in a.directions)


def _poles_flipped(a: Details, b: Details) -> bool:
    for group, pole in a.poles:
        other = (group, 1 - pole)
        if other in b.poles and (group, pole) not in b.poles and other not in a.poles:
            return True
    return False


def _one_word_substituted(a: Details, b: Details) -> bool:
    """Everything equal but one content word (or two adjacent) replaced by another."""
    if not a.content or not b.content:
        return False
    matcher = SequenceMatcher(None, a.content, b.content, autojunk=False)
    replaced = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("insert", "delete"):
            return False
        if op == "replace":
            left, right = a.content[i1:i2], b.content[j1:j2]
            if len(left) != len(right) or _reworded(left, right):
                return False
            replaced += len(left)
    return 0 < replaced <= 2 and replaced < len(a.content)


_CHECKS = (
    ("number", _numbers_differ),
    ("unit", _units_differ),
    ("quote", _quotes_differ),
    ("negation", _negations_differ),
    ("name", _names_differ),
    ("direction", _directions_reversed),
    ("opposite", _poles_flipped),
    ("substitution", _one_word_substituted),
)


# -- extraction ---------------------------------------------------------------------------


def _normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(
        r"°\s*([CcFf])\b", lambda m: " celsius " if m[1] in "Cc" else " fahrenheit ", text
    )
    return text.replace("\u2018", "'").replace("\u2019", "'")  # curly single quotes


def _squash(text: str) -> str:
    return " ".join(text.split())


def _word(token: str) -> str:
    """Lower case without apostrophes, except in "n't", which marks a negation."""
    lowered = token.lower()
    return lowered if "n't" in lowered else lowered.replace("'", "")


def _possessive(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _is_content(word: str) -> bool:
    return (
        word not in STOPWORDS
        and word not in NEGATIONS
        and not word[0].isdigit()
        and word not in UNITS
        and word not in NUMBER_WORDS
        and word.isalnum()
    )


def _is_operand(word: str) -> bool:
    """A word that can name what is converted: content words and units."""
    return word in UNITS or _is_content(word)


def _reworded(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """The same words in another form or order ("regular exercise" / "exercising regularly")."""
    return all(any(_same_word(x, y) for y in right) for x in left)


def _same_word(x: str, y: str) -> bool:
    """One word an inflection or abbreviation of the other: dict / dictionary, int / integer."""
    short, long = sorted((x, y), key=len)
    return len(short) >= 3 and long.startswith(short[:3]) and long.startswith(short[:-1])


def _contains(text: str, fragment: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(fragment) + r"(?!\w)", text) is not None


def _number_value(token: str) -> str | None:
    ordinal = _ORDINAL_SUFFIX.match(token)
    if ordinal:
        return f"#{int(ordinal[1])}"
    if _DIGITS.fullmatch(token):
        if ":" in token:
            return token
        if _THOUSANDS.match(token):
            token = token.replace(",", "")
        elif "," in token:
            token = token.replace(",", ".")
        try:
            return _canonical(float(token))
        except ValueError:
            return token
    if token in NUMBER_WORDS:
        return _canonical(NUMBER_WORDS[token])
    return None


def _canonical(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _spelled_numbers(words: list[str]) -> list[str]:
    """Words with spelled-out numbers joined into one value: "one thousand" -> "1000"."""
    joined: list[str] = []
    run: list[float] = []
    for word in [*words, ""]:
        parts = word.split("-")
        if all(p in _CARDINALS for p in parts) and word:
            run += [_CARDINALS[p] for p in parts]
            continue
        if run:
            joined.append(_canonical(_combine(run)))
            run = []
        if word:
            joined.append(word)
    return joined


def _combine(values: list[float]) -> float:
    total, current = 0.0, 0.0
    for value in values:
        if value == 100:
            current = max(current, 1) * 100
        elif value >= 1000:
            total += max(current, 1) * value
            current = 0
        else:
            current += value
    return total + current


def _numbers_and_units(words: list[str]) -> tuple[list[str], set[str]]:
    numbers: list[str] = []
    units: set[str] = set()
    after_number = False
    for word in _spelled_numbers(words):
        unit = UNITS.get(word) or (UNIT_AFTER_NUMBER.get(word) if after_number else None)
        value = _number_value(word)
        if unit is not None and not (word == "second" and not after_number):
            units.add(unit)
        elif value is not None:
            numbers.append(value)
        elif word in ORDINAL_WORDS:
            numbers.append(f"#{ORDINAL_WORDS[word]}")
        after_number = value is not None
    return numbers, units


def _names(text: str, tokens: list[tuple[str, int]]) -> set[str]:
    names = set()
    for token, start in tokens:
        if not token[0].isalpha():
            continue
        inner_caps = any(c.isupper() for c in token[1:])
        mixed = any(c.isdigit() for c in token) or "_" in token or _dotted(token)
        capitalised = token[0].isupper() and token != "I" and not _sentence_start(text, start)
        if inner_caps or mixed or capitalised:
            names.add(_possessive(_word(token)) if token.endswith("'s") else _word(token))
    return names


def _dotted(token: str) -> bool:
    return re.search(r"[^\W\d_]\.[^\W\d_]", token) is not None


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in _SENTENCE_END


def _poles(words: list[str]) -> frozenset[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for first, second in zip(words, [*words[1:], ""], strict=True):
        found.update(_POLES.get(first, ()))
        found.update(_POLES.get(f"{first} {second}", ()))
    return frozenset(found)


def _directions(text: str) -> set[tuple[str, str]]:
    """(source, target) pairs of content words around to/into/in/from/→."""
    pieces = _PIECE.findall(text.lower())
    segment: list[str] = []
    segments: list[tuple[list[str], str | None]] = []  # words before each marker/boundary
    for piece in pieces:
        if piece in _DIRECTION_MARKERS or piece in _BOUNDARIES:
            segments.append((segment, piece if piece in _DIRECTION_MARKERS else None))
            segment = []
        else:
            segment.append(piece)
    segments.append((segment, None))
    pairs: set[tuple[str, str]] = set()
    for (left, marker), (right, _) in itertools.pairwise(segments):
        if marker is None:
            continue
        before = [_stem(w) for w in left if _is_operand(w)][-_WINDOW:]
        after = [_stem(w) for w in right if _is_operand(w)][:_WINDOW]
        for x in before:
            for y in after:
                if x != y:
                    pairs.add((y, x) if marker == "from" else (x, y))
    return pairs
