"""Cache keys: what shares a scope, what shares an exact entry, and what never does."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.cache.scope import Routing, cache_keys, has_client_tool_results
from tests.cache.conftest import chat

ORG = "org-a"


def keys(body: dict[str, Any], org: str = ORG, routing: Routing | None = None):  # type: ignore[no-untyped-def]
    return cache_keys(org, body, routing)


def test_whitespace_and_unicode_forms_share_the_exact_entry() -> None:
    a = keys(chat("What is  the capital of France?\n"))
    b = keys(chat(" What is the capital of France?"))
    assert a.exact == b.exact
    assert a.query == "What is the capital of France?"


def test_case_is_kept_in_the_exact_key() -> None:
    assert keys(chat("Print String")).exact != keys(chat("print string")).exact


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.5},
        {"max_tokens": 10},
        {"seed": 7},
        {"top_p": 0.5},
        {"stop": ["\n"]},
        {"response_format": {"type": "json_object"}},
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
        {"tool_choice": "none"},
        {"n": 2},
        {"logprobs": True},
        {"model": "gpt-4o"},
        {"some_vendor_param": 1},  # unknown parameters are assumed to change the answer
    ],
)
def test_answer_changing_parameters_change_the_scope(change: dict[str, Any]) -> None:
    base = chat("Hello there")
    assert keys({**base, **change}).scope != keys(base).scope


@pytest.mark.parametrize(
    "change",
    [
        {"stream": True, "stream_options": {"include_usage": True}},
        {"user": "end-user-42"},
        {"metadata": {"trace": "x"}},
        {"temperature": 0.0},  # 0 and 0.0 are one temperature
    ],
)
def test_answer_neutral_fields_keep_the_scope(change: dict[str, Any]) -> None:
    base = chat("Hello there")
    assert keys({**base, **change}).exact == keys(base).exact


def test_every_earlier_turn_and_the_system_prompt_are_in_the_scope() -> None:
    system = [{"role": "system", "content": "You are terse."}]
    turn_a = [
        {"role": "user", "content": "Tell me about Paris."},
        {"role": "assistant", "content": "Paris is the capital of France."},
    ]
    turn_b = [
        {"role": "user", "content": "Tell me about Rome."},
        {"role": "assistant", "content": "Rome is the capital of Italy."},
    ]
    scopes = {
        keys(chat("How big is it?")).scope,
        keys(chat("How big is it?", history=system)).scope,
        keys(chat("How big is it?", history=turn_a)).scope,
        keys(chat("How big is it?", history=turn_b)).scope,
        keys(chat("How big is it?", history=system + turn_a)).scope,
    }
    assert len(scopes) == 5


def test_organizations_never_share_keys() -> None:
    a, b = keys(chat("Hello"), org="org-a"), keys(chat("Hello"), org="org-b")
    assert a.scope != b.scope and a.exact != b.exact


def test_auto_scopes_by_the_routing_that_picks_the_model() -> None:
    body = {**chat("Hello"), "model": "auto"}
    cost = keys(body, routing=Routing("cost"))
    quality = keys(body, routing=Routing("quality"))
    assert cost.scope != quality.scope
    assert cost.model.startswith("auto:cost")


@pytest.mark.parametrize(
    "last",
    [
        {"role": "assistant", "content": "Sure, here is"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ],
)
def test_only_a_users_plain_text_is_a_semantic_query(last: dict[str, Any]) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}, last]}
    assert keys(body).query is None


def test_text_parts_are_a_semantic_query() -> None:
    parts = [{"type": "text", "text": "Hello"}, {"type": "text", "text": "world"}]
    body = {"model": "m", "messages": [{"role": "user", "content": parts}]}
    assert keys(body).query == "Hello world"


def test_client_tool_results_are_detected() -> None:
    body = chat("next", history=[{"role": "tool", "tool_call_id": "c", "content": "1"}])
    assert has_client_tool_results(body)
    assert not has_client_tool_results(chat("plain"))
