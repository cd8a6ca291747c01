"""Embeddings and model listings, driven through the official OpenAI SDK."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import openai
import pytest

from gateway.pricing.catalog import CATALOG
from tests.fixtures.openai_spec import validate
from tests.sandbox.conftest import OpenAIFactory

TEXTS = ["What is the capital of France?", "Photosynthesis in plants"]


def _vectors(response: openai.types.CreateEmbeddingResponse) -> list[np.ndarray]:
    return [np.asarray(item.embedding, dtype=np.float64) for item in response.data]


def test_float_embeddings_are_unit_length_and_deterministic(openai_client: openai.OpenAI) -> None:
    first = openai_client.embeddings.create(
        model="text-embedding-3-small", input=TEXTS, encoding_format="float"
    )
    again = openai_client.embeddings.create(
        model="text-embedding-3-small", input=TEXTS, encoding_format="float"
    )

    vectors = _vectors(first)
    assert [item.index for item in first.data] == [0, 1]
    assert all(v.shape == (1536,) for v in vectors)
    assert all(abs(np.linalg.norm(v) - 1) < 1e-5 for v in vectors)
    assert np.allclose(vectors[0], _vectors(again)[0])
    assert abs(float(vectors[0] @ vectors[1])) < 0.3
    assert first.usage.prompt_tokens == first.usage.total_tokens > 0


def test_base64_default_of_the_sdk_decodes_to_the_float_vectors(sandbox_url: str) -> None:
    # The SDK asks for base64 by default and decodes it after parsing, which its strict
    # validation mode does not support, so this client is not strict.
    client = openai.OpenAI(base_url=f"{sandbox_url}/openai/v1", api_key="sk-test", max_retries=0)

    encoded = client.embeddings.create(model="text-embedding-3-small", input=TEXTS)
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=TEXTS, encoding_format="float"
    )

    for left, right in zip(_vectors(encoded), _vectors(floats), strict=True):
        assert np.allclose(left, right, atol=1e-6)


def test_base64_on_the_wire_is_little_endian_float32(http: httpx.Client) -> None:
    response = http.post(
        "/openai/v1/embeddings",
        json={"model": "text-embedding-3-small", "input": "hi", "encoding_format": "base64"},
        headers={"authorization": "Bearer sk-test"},
    )

    encoded = response.json()["data"][0]["embedding"]
    vector = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    assert vector.shape == (1536,)
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-5


def test_dimensions_shorten_and_renormalise(openai_client: openai.OpenAI) -> None:
    response = openai_client.embeddings.create(
        model="text-embedding-3-large", input="hello", dimensions=256, encoding_format="float"
    )

    (vector,) = _vectors(response)
    assert vector.shape == (256,)
    assert abs(np.linalg.norm(vector) - 1) < 1e-5


def test_dimensions_above_the_native_size_are_refused(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        openai_client.embeddings.create(
            model="text-embedding-3-small", input="hello", dimensions=5000
        )


def test_similar_texts_get_closer_vectors_than_unrelated_ones(
    openai_client: openai.OpenAI,
) -> None:
    texts = [
        "What is the capital of France?",
        "what is the capital of france",
        "Recipe for a chocolate cake",
    ]
    vectors = _vectors(
        openai_client.embeddings.create(
            model="text-embedding-3-small", input=texts, encoding_format="float"
        )
    )

    assert float(vectors[0] @ vectors[1]) > 0.85
    assert float(vectors[0] @ vectors[2]) < 0.3


def test_token_arrays_are_accepted_and_counted(openai_client: openai.OpenAI) -> None:
    response = openai_client.embeddings.create(
        model="text-embedding-3-small", input=[[1, 2, 3], [4, 5]], encoding_format="float"
    )

    assert len(response.data) == 2
    assert response.usage.prompt_tokens == 5


@pytest.mark.parametrize("bad_input", ["", [], [""], [1, "a"]])
def test_invalid_input_is_a_bad_request(http: httpx.Client, bad_input: object) -> None:
    response = http.post(
        "/openai/v1/embeddings",
        json={"model": "text-embedding-3-small", "input": bad_input},
        headers={"authorization": "Bearer sk-test"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input"


def test_embeddings_body_validates_against_openai_spec(http: httpx.Client) -> None:
    response = http.post(
        "/together/v1/embeddings",
        json={"model": "togethercomputer/m2-bert-80M-8k-retrieval", "input": ["a", "b"]},
        headers={"authorization": "Bearer sk-test"},
    )

    assert response.status_code == 200
    validate("CreateEmbeddingResponse", response.json())


@pytest.mark.parametrize("provider", ["openai", "groq", "together", "ollama"])
def test_models_lists_exactly_the_providers_catalogue(
    openai_for: OpenAIFactory, provider: str
) -> None:
    listed = [model.id for model in openai_for(provider).models.list()]

    assert listed == [m.id for m in CATALOG if m.provider == provider]


def test_models_listing_validates_against_openai_spec(http: httpx.Client) -> None:
    response = http.get("/v1/models", headers={"authorization": "Bearer sk-test"})

    validate("ListModelsResponse", response.json())


def test_model_retrieval_accepts_ids_with_slashes(openai_for: OpenAIFactory) -> None:
    client = openai_for("together")

    model = client.models.retrieve("meta-llama/Llama-3.3-70B-Instruct-Turbo")

    assert model.id == "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")
