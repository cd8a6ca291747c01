"""Cache keys: what must be equal for an answer to be reusable, hashed.

A request splits into its *scope* and its *query*. The scope is everything but the last
message: the model (or `auto` with the routing that picks it), every earlier message
(system prompt and turns, in order) and every generation parameter that can change the
answer. The query is the last message. Two requests may share an answer only inside one
scope: exactly (same normalised last message) or semantically (the last message is a
user's text close in meaning, see `verify`). Scope and exact key include the
organization's id, and every Redis key lives under `gw:cache:{org_id}:`, so a tenant
can never reach another tenant's entry, nor a conversation another conversation's.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any

import orjson

AUTO = "auto"

# Request fields that never change the answer (or that the cache replays itself).
ANSWER_NEUTRAL = frozenset(
    {
        "messages",
        "model",
        "stream",
        "stream_options",
        "user",
        "metadata",
        "store",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
    }
)
_CLIENT_TOOL_ROLES = frozenset({"tool", "function"})


@dataclass(frozen=True, slots=True)
class CacheKeys:
    """One request's place in its tenant's cache."""

    scope: str  # 32 hex digits: model + earlier messages + parameters
    exact: str  # 32 hex digits: scope + normalised last message
    query: str | None  # the last message's text when it is a user's plain text, else None
    model: str
    system_preview: str
    turns: int


@dataclass(frozen=True, slots=True)
class Routing:
    """How `auto` picks a model for this tenant: part of the scope of an `auto` request."""

    strategy: str = "balanced"
    weights: tuple[tuple[str, float], ...] = ()
    prefer_local: bool = False

    def label(self) -> str:
        weights = ",".join(f"{k}={v:g}" for k, v in sorted(self.weights))
        return f"{AUTO}:{self.strategy}:{weights}:{int(self.prefer_local)}"


def cache_keys(org_id: str, body: dict[str, Any], routing: Routing | None = None) -> CacheKeys:
    """The scope and exact keys of a chat request; `body` is a validated request."""
    messages = list(body.get("messages") or [])
    last = messages[-1] if messages else {}
    earlier = [_canonical_message(m) for m in messages[:-1]]
    model = str(body.get("model", ""))
    if model == AUTO:
        model = (routing or Routing()).label()
    params = {k: _numbers_as_floats(v) for k, v in body.items() if k not in ANSWER_NEUTRAL}
    scope = _digest(org_id, model, earlier, params)
    canonical_last = _canonical_message(last)
    return CacheKeys(
        scope=scope,
        exact=_digest(org_id, scope, canonical_last),
        query=_user_text(last),
        model=model,
        system_preview=_system_preview(messages[:-1]),
        turns=len(messages) - 1,
    )


def normalize_text(text: str) -> str:
    """Unicode NFKC, whitespace runs collapsed, ends stripped; case is kept (it can matter)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def has_client_tool_results(body: dict[str, Any]) -> bool:
    """Whether the conversation carries results of tools the client ran itself."""
    return any(
        isinstance(m, dict) and m.get("role") in _CLIENT_TOOL_ROLES
        for m in body.get("messages") or []
    )


def _user_text(message: Any) -> str | None:
    if not isinstance(message, dict) or message.get("role") != "user":
        return None
    content = message.get("content")
    if isinstance(content, list):
        if not all(isinstance(p, dict) and p.get("type") == "text" for p in content):
            return None
        content = "\n".join(str(p.get("text", "")) for p in content)
    if not isinstance(content, str):
        return None
    text = normalize_text(content)
    return text or None


def _canonical_message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    canonical = dict(message)
    content = canonical.get("content")
    if isinstance(content, str):
        canonical["content"] = normalize_text(content)
    elif isinstance(content, list):
        canonical["content"] = [
            {**p, "text": normalize_text(p["text"])}
            if isinstance(p, dict) and isinstance(p.get("text"), str)
            else p
            for p in content
        ]
    return canonical


def _numbers_as_floats(value: Any) -> Any:
    """1 and 1.0 are the same temperature; JSON spells them differently."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(v) for v in value]
    return value


def _digest(*parts: Any) -> str:
    data = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _system_preview(messages: list[Any]) -> str:
    for message in messages:
        if isinstance(message, dict) and message.get("role") in ("system", "developer"):
            content = message.get("content")
            if isinstance(content, str):
                return normalize_text(content)[:80]
    return ""
