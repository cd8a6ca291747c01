"""Anthropic's Messages API behind OpenAI's chat-completions dialect.

The request is translated by `anthropic_request`, the answer by `anthropic_response`
and the SSE stream by `anthropic_stream`; this module holds the wire details (path,
headers, version) and the adapter that ties them together. Anthropic offers no
embeddings, so an embeddings request is a 404 model_not_found.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.errors import NotFound
from gateway.pricing.catalog import Catalog
from gateway.providers.anthropic_request import messages_request
from gateway.providers.anthropic_response import completion_from_message
from gateway.providers.anthropic_stream import AnthropicStreamTranslator
from gateway.providers.base import ChatResult, UpstreamRequest

ANTHROPIC_VERSION = "2023-06-01"
MESSAGES_PATH = "/v1/messages"
# max_tokens is required by Anthropic; for a model missing from the catalogue, this.
FALLBACK_MAX_TOKENS = 4096


@dataclass(frozen=True, slots=True)
class AnthropicAdapter:
    """The Anthropic adapter: `base_url` is where `/v1/messages` lives."""

    base_url: str
    name: str = "anthropic"
    supports_embeddings: bool = False
    catalog: Catalog = field(default_factory=Catalog)
    clock: Callable[[], float] = time.time

    def _max_output(self, model_id: str) -> int:
        model = self.catalog.get(self.name, model_id)
        return model.max_output_tokens if model and model.max_output_tokens else FALLBACK_MAX_TOKENS

    def chat_request(
        self, body: dict[str, Any], model_id: str, api_key: str, *, stream: bool
    ) -> UpstreamRequest:
        """POST /v1/messages with the translated body; 400 for what cannot be translated."""
        payload = messages_request(
            body, model_id, default_max_tokens=self._max_output(model_id), stream=stream
        )
        headers = {
            "x-api-key": api_key,
            "anthropic-version": ANTHROPIC_VERSION,
            "Content-Type": "application/json",
        }
        url = f"{self.base_url}{MESSAGES_PATH}"
        return UpstreamRequest(self.name, url, headers, orjson.dumps(payload))

    def parse_chat(self, raw: bytes) -> ChatResult:
        """The `chat.completion` bytes for an Anthropic `message` body."""
        completion, usage = completion_from_message(orjson.loads(raw), int(self.clock()))
        return ChatResult(orjson.dumps(completion), usage, completion["model"])

    def stream_translator(self, *, include_usage: bool = False) -> AnthropicStreamTranslator:
        return AnthropicStreamTranslator(
            include_usage=include_usage, created=int(self.clock()), provider=self.name
        )

    def embeddings_request(
        self, body: dict[str, Any], model_id: str, api_key: str
    ) -> UpstreamRequest:
        raise _no_embeddings(self.name)

    def parse_embeddings(self, raw: bytes, *, encoding_format: str = "float") -> ChatResult:
        raise _no_embeddings(self.name)


def _no_embeddings(provider: str) -> NotFound:
    return NotFound(f"{provider} does not offer embedding models.", code="model_not_found")
