"""OpenAI's Embeddings and Models wire protocols, pure: parsing and rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.pricing.catalog import ModelInfo, ModelKind
from gateway.sandbox.embeddings import EmbeddingInput, embed, to_base64, token_count
from gateway.sandbox.errors import SandboxError
from gateway.sandbox.models import LISTED_CREATED, ModelDirectory, embedding_dimensions

OWNERS = {"openai": "system", "groq": "Meta", "together": "together", "ollama": "library"}


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    """A validated embeddings request."""

    model: str
    inputs: tuple[EmbeddingInput, ...]
    native_dimensions: int
    dimensions: int | None
    base64: bool


def _invalid_input() -> SandboxError:
    return SandboxError(
        400,
        "'$.input' is invalid. Please check the API reference: "
        "https://platform.openai.com/docs/api-reference.",
        param="input",
    )


def _is_tokens(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    )


def embedding_inputs(raw: Any) -> tuple[EmbeddingInput, ...]:
    """The inputs of an embeddings request: a string, strings, token ids or lists of them."""
    if isinstance(raw, str) and raw:
        return (raw,)
    if _is_tokens(raw):
        return (raw,)
    if isinstance(raw, list) and raw:
        if all(isinstance(item, str) and item for item in raw):
            return tuple(raw)
        if all(_is_tokens(item) for item in raw):
            return tuple(raw)
    raise _invalid_input()


def _dimensions(body: Mapping[str, Any], native: int) -> int | None:
    value = body.get("dimensions")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= native:
        raise SandboxError(
            400,
            f"Invalid 'dimensions': expected an integer from 1 to {native}.",
            param="dimensions",
        )
    return value


def parse_embeddings(
    body: Mapping[str, Any], models: ModelDirectory, provider: str
) -> EmbeddingRequest:
    """Validate an OpenAI embeddings request; raise `SandboxError` where OpenAI would."""
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise SandboxError(400, "you must provide a model parameter", param="model")
    model = models.find(provider, name, ModelKind.EMBEDDING)
    if model is None:
        raise SandboxError(
            404,
            f"The model `{name}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64", None):
        raise SandboxError(
            400, "Invalid 'encoding_format': expected 'float' or 'base64'.", param="encoding_format"
        )
    native = embedding_dimensions(model.id)
    inputs = embedding_inputs(body.get("input"))
    return EmbeddingRequest(name, inputs, native, _dimensions(body, native), encoding == "base64")


def embeddings_body(request: EmbeddingRequest) -> bytes:
    """The embeddings `list` object, vectors as floats or base64."""
    data: list[dict[str, Any]] = []
    for index, item in enumerate(request.inputs):
        vector = embed(item, request.native_dimensions, request.dimensions)
        encoded: Any = to_base64(vector) if request.base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(token_count(item) for item in request.inputs)
    payload = {
        "object": "list",
        "data": data,
        "model": request.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)


def model_object(provider: str, model_id: str) -> dict[str, Any]:
    """One `model` object as `/v1/models` lists it."""
    return {
        "id": model_id,
        "object": "model",
        "created": LISTED_CREATED,
        "owned_by": OWNERS.get(provider, provider),
    }


def models_body(provider: str, models: list[ModelInfo]) -> bytes:
    """The `/v1/models` listing of one provider."""
    data = [model_object(provider, m.id) for m in models]
    return orjson.dumps({"object": "list", "data": data})
