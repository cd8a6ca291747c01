"""Ollama's native API (/api/chat, /api/embed, /api/tags) behind OpenAI's dialect.

Ollama needs no credential. It gives completions no id, so the adapter makes one
(`new_id`, injectable for tests). Model discovery: `tags_request()` is the GET the
caller sends, `parse_tags()` reads its answer into model names.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.providers.base import ChatResult, UpstreamRequest
from gateway.providers.ollama_request import chat_request, embed_request
from gateway.providers.ollama_response import (
    completion_from_chat,
    embeddings_from_embed,
    parse_tags,
)
from gateway.providers.ollama_stream import OllamaStreamTranslator

__all__ = ["OllamaAdapter", "new_completion_id", "parse_tags"]

_HEADERS = {"Content-Type": "application/json"}


def new_completion_id() -> str:
    """A fresh id in OpenAI's `chatcmpl-…` form."""
    return "chatcmpl-" + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class OllamaAdapter:
    """The Ollama adapter: `base_url` is the server's root (where `/api/chat` lives)."""

    base_url: str
    name: str = "ollama"
    supports_embeddings: bool = True
    clock: Callable[[], float] = time.time
    new_id: Callable[[], str] = new_completion_id

    def _post(self, path: str, payload: dict[str, Any]) -> UpstreamRequest:
        return UpstreamRequest(
            self.name, f"{self.base_url}{path}", dict(_HEADERS), orjson.dumps(payload)
        )

    def chat_request(
        self, body: dict[str, Any], model_id: str, api_key: str, *, stream: bool
    ) -> UpstreamRequest:
        """POST /api/chat with the translated body (`api_key` is unused: Ollama has none)."""
        return self._post("/api/chat", chat_request(body, model_id, stream=stream))

    def parse_chat(self, raw: bytes) -> ChatResult:
        """The `chat.completion` bytes for a `stream: false` /api/chat answer."""
        completion, usage = completion_from_chat(
            orjson.loads(raw), completion_id=self.new_id(), created=int(self.clock())
        )
        return ChatResult(orjson.dumps(completion), usage, completion["model"])

    def stream_translator(self, *, include_usage: bool = False) -> OllamaStreamTranslator:
        return OllamaStreamTranslator(
            include_usage=include_usage,
            completion_id=self.new_id(),
            created=int(self.clock()),
            provider=self.name,
        )

    def embeddings_request(
        self, body: dict[str, Any], model_id: str, api_key: str
    ) -> UpstreamRequest:
        """POST /api/embed; 400 for token-id inputs, which Ollama cannot embed."""
        return self._post("/api/embed", embed_request(body, model_id))

    def parse_embeddings(self, raw: bytes, *, encoding_format: str = "float") -> ChatResult:
        """OpenAI's embeddings list for an /api/embed answer.

        Ollama only answers floats; `encoding_format="base64"` encodes them here, so
        the caller passes the client's `encoding_format` (the protocol's callers that
        pass only `raw` get floats).
        """
        response, usage = embeddings_from_embed(orjson.loads(raw), encoding_format)
        return ChatResult(orjson.dumps(response), usage, response["model"])

    def tags_request(self) -> UpstreamRequest:
        """GET /api/tags: the models this Ollama server has pulled (read with parse_tags)."""
        return UpstreamRequest(self.name, f"{self.base_url}/api/tags", {}, b"", method="GET")
