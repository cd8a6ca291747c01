"""Validation of sandbox responses against OpenAI's published OpenAPI description.

The spec lives beside the project (`../shared/specs/openai-openapi.json`). It uses the
OpenAPI 3.0 `nullable: true` form in places; it is rewritten here into JSON-Schema
`null` unions so a 2020-12 validator accepts `null` where OpenAI sends it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "openai-openapi.json"
_SPEC_URI = "urn:openai-openapi"


def _allow_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_allow_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _allow_null(value) for key, value in node.items()}
    if node.pop("nullable", False) is not True:
        return node
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        return node
    return {"anyOf": [node, {"type": "null"}]}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    spec = _allow_null(json.loads(SPEC_PATH.read_text()))
    return Registry().with_resource(_SPEC_URI, Resource.from_contents(spec, DRAFT202012))


def spec_errors(instance: Any, schema_name: str) -> list[str]:
    """Every way `instance` violates `components/schemas/<schema_name>` of the spec."""
    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    validator = Draft202012Validator(schema, registry=_registry())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
