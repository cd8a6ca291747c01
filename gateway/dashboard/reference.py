"""The docs page's API reference, derived from the gateway's OpenAPI document. Pure.

The same document the gateway serves at /openapi.json goes in; endpoints with their
parameters, body fields, responses and response headers come out as plain rows, so the
reference never drifts from what the gateway says about itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True, slots=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class ResponseDoc:
    status: str
    description: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    title: str
    description: str
    authenticated: bool
    parameters: tuple[FieldDoc, ...]
    body: tuple[FieldDoc, ...]
    responses: tuple[ResponseDoc, ...]

    @property
    def anchor(self) -> str:
        return f"{self.method.lower()}-{re.sub(r'[^a-z0-9]+', '-', self.path.lower()).strip('-')}"


def endpoints(document: Mapping[str, Any]) -> tuple[Endpoint, ...]:
    """Every operation of the document, in its order."""
    secured = bool(document.get("security"))
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                found.append(_endpoint(path, method, operation, secured))
    return tuple(found)


def response_headers(document: Mapping[str, Any]) -> tuple[FieldDoc, ...]:
    """The headers documented on successful responses, once each, in first-seen order."""
    seen: dict[str, FieldDoc] = {}
    for operation in _operations(document):
        headers = operation.get("responses", {}).get("200", {}).get("headers", {})
        for name, header in headers.items():
            seen.setdefault(
                name,
                FieldDoc(
                    name, type_label(header.get("schema", {})), False, header.get("description", "")
                ),
            )
    return tuple(seen.values())


def error_responses(document: Mapping[str, Any]) -> tuple[ResponseDoc, ...]:
    """The error statuses any operation documents, by status."""
    seen: dict[str, str] = {}
    for operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            if not status.startswith(("2", "3")):
                seen.setdefault(status, response.get("description", ""))
    return tuple(ResponseDoc(status, seen[status]) for status in sorted(seen))


def type_label(schema: Mapping[str, Any]) -> str:
    """A short human label for a JSON schema: "integer ≥ 1", "string | array", …"""
    if "const" in schema:
        return f'"{schema["const"]}"'
    if "enum" in schema:
        return " | ".join(f'"{value}"' for value in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(dict.fromkeys(type_label(option) for option in schema["anyOf"]))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array" and "items" in schema:
        label = f"array of {type_label(schema['items'])}"
    else:
        label = str(kind)
    return label + _bounds(schema)


def _endpoint(path: str, method: str, operation: Mapping[str, Any], secured: bool) -> Endpoint:
    operation_id = operation.get("operationId", f"{method} {path}")
    responses = operation.get("responses", {})
    success = responses.get("200", {})
    return Endpoint(
        method=method.upper(),
        path=path,
        title=_words(operation_id),
        description=operation.get("description") or success.get("description", ""),
        authenticated=bool(operation.get("security", [{}] if secured else [])),
        parameters=tuple(_parameter(p) for p in operation.get("parameters", [])),
        body=_body_fields(operation.get("requestBody", {})),
        responses=tuple(ResponseDoc(s, r.get("description", "")) for s, r in responses.items()),
    )


def _parameter(parameter: Mapping[str, Any]) -> FieldDoc:
    return FieldDoc(
        parameter["name"],
        f"{type_label(parameter.get('schema', {}))} (in {parameter.get('in', 'query')})",
        bool(parameter.get("required")),
        parameter.get("description", ""),
    )


def _body_fields(body: Mapping[str, Any]) -> tuple[FieldDoc, ...]:
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    required = set(schema.get("required", []))
    return tuple(
        FieldDoc(name, type_label(field), name in required, field.get("description", ""))
        for name, field in schema.get("properties", {}).items()
    )


def _bounds(schema: Mapping[str, Any]) -> str:
    parts = []
    for key, symbol in (("minimum", "≥"), ("maximum", "≤")):
        if key in schema:
            parts.append(f"{symbol} {schema[key]}")
    if "minItems" in schema:
        parts.append(f"at least {schema['minItems']}")
    if "minLength" in schema and schema["minLength"] > 0:
        parts.append("non-empty")
    return f" ({', '.join(parts)})" if parts else ""


def _operations(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        item[method]
        for item in document.get("paths", {}).values()
        for method in METHODS
        if method in item
    ]


def _words(operation_id: str) -> str:
    spaced = re.sub(r"(?<!^)(?=[A-Z])", " ", operation_id).lower()
    return spaced[:1].upper() + spaced[1:]
