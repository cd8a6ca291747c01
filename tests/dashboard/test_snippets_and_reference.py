"""Quickstart snippets, and the API reference derived from the gateway's OpenAPI document."""

from __future__ import annotations

import pytest

from gateway.api.openapi import openapi_document
from gateway.dashboard.reference import endpoints, error_responses, response_headers, type_label
from gateway.dashboard.snippets import PLACEHOLDER_KEY, placeholder_key, quickstart

BASE = "https://gw.example.com/v1"


def test_every_snippet_uses_the_base_url_and_the_key() -> None:
    snippets = quickstart(BASE, "gw_acme_prod_secret")

    assert [s.language for s in snippets] == ["python", "node", "curl"]
    for snippet in snippets:
        assert BASE in snippet.code
        assert "gw_acme_prod_secret" in snippet.code
        assert "max_tokens" in snippet.code


def test_without_a_key_the_snippets_show_a_placeholder() -> None:
    assert all(PLACEHOLDER_KEY in s.code for s in quickstart(BASE))


def test_the_placeholder_takes_the_organizations_shape_when_it_is_known() -> None:
    assert placeholder_key("acme") == "gw_acme_prod_YOUR_KEY"
    assert placeholder_key("") == placeholder_key(None) == PLACEHOLDER_KEY
    # The web app fills the placeholder in with a new key, so it must be there, whole.
    assert all(placeholder_key("acme") in s.code for s in quickstart(BASE, placeholder_key("acme")))


def test_the_python_snippet_is_valid_python() -> None:
    compile(quickstart(BASE, "gw_k")[0].code, "<snippet>", "exec")


def test_the_reference_lists_every_operation_of_the_document() -> None:
    document = openapi_document()
    found = {(e.method, e.path) for e in endpoints(document)}

    expected = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert found == expected


def test_chat_completions_documents_its_body_and_auth() -> None:
    chat = next(e for e in endpoints(openapi_document()) if e.path == "/v1/chat/completions")

    fields = {f.name: f for f in chat.body}
    assert chat.method == "POST" and chat.authenticated
    assert fields["model"].required and fields["messages"].required
    assert not fields["temperature"].required
    assert fields["temperature"].type == "number (≥ 0, ≤ 2)"
    assert "401" in {r.status for r in chat.responses}


def test_public_endpoints_are_marked_so() -> None:
    health = next(e for e in endpoints(openapi_document()) if e.path == "/health")
    assert not health.authenticated


def test_headers_and_errors_come_from_the_document() -> None:
    document = openapi_document()
    names = [h.name for h in response_headers(document)]
    statuses = [r.status for r in error_responses(document)]

    assert "x-request-id" in names and "x-routerai-cost-usd" in names
    assert len(names) == len(set(names))
    assert statuses == sorted(statuses) and {"400", "401", "429", "504"} <= set(statuses)


@pytest.mark.parametrize(
    ("schema", "label"),
    [
        ({"type": "string"}, "string"),
        ({"const": "model"}, '"model"'),
        ({"enum": ["float", "base64"]}, '"float" | "base64"'),
        ({"type": ["string", "null"]}, "string | null"),
        (
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "array of string (at least 1)",
        ),
        ({"anyOf": [{"type": "string"}, {"type": "array"}]}, "string | array"),
        ({}, "any"),
    ],
)
def test_type_labels(schema: dict[str, object], label: str) -> None:
    assert type_label(schema) == label
