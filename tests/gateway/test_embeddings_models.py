"""Embeddings and the model list through the OpenAI SDK."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import openai
import pytest

from tests.fixtures.openai_spec import validate
from tests.gateway.conftest import Tenant


def test_embeddings_float_and_base64(client: openai.OpenAI) -> None:
    raw = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=["one", "two"], encoding_format="float"
    )
    validate("CreateEmbeddingResponse", json.loads(raw.http_response.content))
    floats = raw.parse()
    assert [item.index for item in floats.data] == [0, 1]
    assert raw.headers["x-routerai-provider"] == "openai"
    assert floats.usage.prompt_tokens > 0
    # The SDK asks for base64 by default and decodes it after parsing, which its strict
    # validation mode rejects even against OpenAI itself: this call goes unvalidated.
    lenient = openai.OpenAI(base_url=str(client.base_url), api_key=client.api_key, max_retries=0)
    decoded = lenient.embeddings.create(model="text-embedding-3-small", input=["one", "two"])
    assert len(decoded.data[0].embedding) == len(floats.data[0].embedding)
    assert decoded.data[0].embedding[:4] == pytest.approx(floats.data[0].embedding[:4], rel=1e-6)


def test_embeddings_honour_dimensions(client: openai.OpenAI) -> None:
    result = client.embeddings.create(
        model="text-embedding-3-small", input="hi", dimensions=64, encoding_format="float"
    )
    assert len(result.data[0].embedding) == 64


def test_a_chat_model_is_not_an_embedding_model(client: openai.OpenAI) -> None:
    try:
        client.embeddings.create(model="gpt-4o-mini", input="hi")
    except openai.NotFoundError as exc:
        assert exc.code == "model_not_found"
    else:
        raise AssertionError("a chat model served embeddings")


def test_models_lists_only_what_the_tenant_may_use(
    gateway_url: str, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant(allowed_models=["gpt-4o-mini", "text-embedding-3-small"])
    client = openai.OpenAI(
        base_url=f"{gateway_url}/v1",
        api_key=tenant.key,
        max_retries=0,
        _strict_response_validation=True,
    )
    raw = client.models.with_raw_response.list()
    validate("ListModelsResponse", json.loads(raw.http_response.content))
    assert sorted(m.id for m in raw.parse()) == ["auto", "gpt-4o-mini", "text-embedding-3-small"]
    assert client.models.retrieve("gpt-4o-mini").owned_by == "openai"
    try:
        client.models.retrieve("gpt-4o")
    except openai.NotFoundError:
        pass
    else:
        raise AssertionError("a model outside the allow-list was retrievable")


def test_models_without_restrictions_cover_the_catalogue(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {
        "gpt-4o",
        "gpt-4o-mini",
        "llama-3.3-70b-versatile",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "text-embedding-3-small",
    } <= ids


def test_openapi_document_names_every_route(gateway_url: str) -> None:
    document = httpx.get(f"{gateway_url}/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/chat/completions", "/v1/embeddings", "/v1/models", "/health", "/metrics"} <= set(
        document["paths"]
    )
