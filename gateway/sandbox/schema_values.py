"""Plausible values for a JSON Schema: the arguments of simulated tool calls and JSON answers.

`sample(schema, seed)` walks the schema and fills the required properties (every
property when none is marked required) with values that fit their type, format, enum
and bounds, choosing strings from the property's name where it suggests one
("location" gets a city, "email" an address). `$ref`, `anyOf`/`oneOf`/`allOf` and type
lists are followed; the result is deterministic for a given schema and seed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gateway.sandbox.text import sentence

_MAX_DEPTH = 8
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATOR = re.compile(r"[^a-z0-9]+")

_NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("email", "ada@example.com"),
    ("url", "https://example.com"),
    ("uri", "https://example.com"),
    ("location", "San Francisco, CA"),
    ("city", "Paris"),
    ("country", "France"),
    ("address", "1 Market Street, San Francisco, CA"),
    ("timezone", "Europe/Paris"),
    ("date", "2025-01-15"),
    ("time", "14:30"),
    ("unit", "celsius"),
    ("currency", "USD"),
    ("language", "en"),
    ("phone", "+1-555-0100"),
    ("ticker", "ACME"),
    ("symbol", "ACME"),
    ("query", "latest product updates"),
    ("title", "Quarterly report"),
    ("name", "Ada Lovelace"),
    ("id", "item_001"),
    ("code", "print('hello')"),
)

_FORMATS: Mapping[str, str] = {
    "date-time": "2025-01-15T14:30:00Z",
    "date": "2025-01-15",
    "time": "14:30:00",
    "email": "ada@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "3f2c9a8e-5b7d-4e1a-9c6f-0d8b2a4e7f10",
    "ipv4": "192.0.2.10",
}

_INT_HINTS: tuple[tuple[str, int], ...] = (
    ("year", 2025),
    ("age", 36),
    ("limit", 5),
    ("count", 3),
    ("max", 10),
    ("page", 1),
)


def sample(schema: Mapping[str, Any], seed: bytes) -> Any:
    """A value valid for `schema` (within the subset of JSON Schema described above)."""
    return _value(schema, _Context(schema, seed), "", 0)


class _Context:
    def __init__(self, root: Mapping[str, Any], seed: bytes) -> None:
        self.root = root
        self.seed = seed

    def resolve(self, ref: str) -> Mapping[str, Any]:
        node: Any = self.root
        if not ref.startswith("#"):
            return {}
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            key = part.replace("~1", "/").replace("~0", "~")
            node = node.get(key, {}) if isinstance(node, Mapping) else {}
        return node if isinstance(node, Mapping) else {}


def _value(schema: Mapping[str, Any], ctx: _Context, name: str, depth: int) -> Any:
    if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
        return None
    if "$ref" in schema:
        return _value(ctx.resolve(str(schema["$ref"])), ctx, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        options = list(schema["enum"])
        return options[ctx.seed[depth % len(ctx.seed)] % len(options)]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return _value(_first_non_null(schema[key]), ctx, name, depth + 1)
    if schema.get("allOf"):
        return _value(_merge(schema["allOf"], ctx), ctx, name, depth + 1)
    return _by_type(schema, _type_of(schema), ctx, name, depth)


def _first_non_null(options: list[Any]) -> Mapping[str, Any]:
    for option in options:
        if isinstance(option, Mapping) and option.get("type") != "null":
            return option
    return {"type": "null"}


def _merge(parts: list[Any], ctx: _Context) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in parts:
        resolved = ctx.resolve(part["$ref"]) if "$ref" in part else part
        merged["properties"].update(resolved.get("properties", {}))
        merged["required"].extend(resolved.get("required", []))
    return merged


def _type_of(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        return "object" if "properties" in schema else "string"
    return str(kind)


def _by_type(schema: Mapping[str, Any], kind: str, ctx: _Context, name: str, depth: int) -> Any:
    if kind == "object":
        return _object(schema, ctx, depth)
    if kind == "array":
        return _array(schema, ctx, name, depth)
    if kind == "integer":
        return _integer(schema, name)
    if kind == "number":
        return float(_clamp(schema, 42.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, ctx, name)


def _object(schema: Mapping[str, Any], ctx: _Context, depth: int) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    wanted = schema.get("required") or list(properties)
    return {key: _value(properties.get(key, {}), ctx, key, depth + 1) for key in wanted}


def _array(schema: Mapping[str, Any], ctx: _Context, name: str, depth: int) -> list[Any]:
    items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
    size = max(1, int(schema.get("minItems", 1)))
    if "maxItems" in schema:
        size = min(size, int(schema["maxItems"]))
    return [_value(items or {}, ctx, name, depth + 1) for _ in range(size)]


def _clamp(schema: Mapping[str, Any], value: float) -> float:
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        value = schema["exclusiveMinimum"] + 1
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        value = schema["exclusiveMaximum"] - 1
    return value


def _words(name: str) -> set[str]:
    """The words of a property name: "maxResults" and "max_results" give {"max", "results"}."""
    return set(_SEPARATOR.split(_CAMEL.sub("_", name).lower()))


def _integer(schema: Mapping[str, Any], name: str) -> int:
    words = _words(name)
    value = next((v for hint, v in _INT_HINTS if hint in words), 3)
    return int(_clamp(schema, value))


def _string(schema: Mapping[str, Any], ctx: _Context, name: str) -> str:
    text = _FORMATS.get(str(schema.get("format", ""))) or _hinted(name)
    if text is None:
        text = sentence(ctx.seed, len(name)).rstrip(".")
    min_length = int(schema.get("minLength", 0))
    if len(text) < min_length:
        text = text + "x" * (min_length - len(text))
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text


def _hinted(name: str) -> str | None:
    words = _words(name)
    return next((text for hint, text in _NAME_HINTS if hint in words), None)
