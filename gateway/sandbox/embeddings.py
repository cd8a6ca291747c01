"""Deterministic unit-length embeddings that keep some meaning.

Each word hashes to a fixed pseudo-random direction; a text's vector is the sum of its
words' directions plus a smaller direction for the exact text, normalised. Identical
texts get identical vectors, texts sharing most words get close vectors (which is what
a semantic cache needs to be tested), unrelated texts get nearly orthogonal ones.
Shortened vectors (`dimensions`) are truncated and renormalised, as OpenAI's are.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from gateway.sandbox.text import count_text_tokens, digest

Vector = npt.NDArray[np.float32]
EmbeddingInput = str | Sequence[int]

_WORD = re.compile(r"\w+")
_EXACT_WEIGHT = np.float32(0.35)


def _direction(key: bytes, dimensions: int) -> Vector:
    seed = int.from_bytes(digest(key), "little")
    return np.random.default_rng(seed).standard_normal(dimensions, dtype=np.float32)


@lru_cache(maxsize=4096)
def _word_vector(word: str, dimensions: int) -> Vector:
    return _direction(b"w:" + word.encode(), dimensions)


def _words(item: EmbeddingInput) -> tuple[str, list[str]]:
    if isinstance(item, str):
        return item, _WORD.findall(item.lower())
    words = [str(token) for token in item]
    return " ".join(words), words


@lru_cache(maxsize=2048)
def _embed_cached(text: str, words: tuple[str, ...], dimensions: int) -> Vector:
    vector = _direction(b"t:" + text.encode(), dimensions) * _EXACT_WEIGHT
    for word in words:
        vector += _word_vector(word, dimensions)
    vector /= np.linalg.norm(vector)
    vector.flags.writeable = False
    return vector


def embed(item: EmbeddingInput, native_dimensions: int, dimensions: int | None = None) -> Vector:
    """The unit vector of one input (a string or a list of token ids)."""
    text, words = _words(item)
    vector = _embed_cached(text, tuple(words), native_dimensions)
    if dimensions is None or dimensions >= native_dimensions:
        return vector
    short = vector[:dimensions].copy()
    short /= np.linalg.norm(short)
    return short


def token_count(item: EmbeddingInput) -> int:
    """Tokens billed for one input: characters / 4 for text, the length of a token list."""
    return count_text_tokens(item) if isinstance(item, str) else len(item)


def to_base64(vector: Vector) -> str:
    """The vector as base64 of little-endian float32, OpenAI's `encoding_format: base64`."""
    return base64.b64encode(vector.astype("<f4", copy=False).tobytes()).decode()
