"""What every provider adapter offers: pure translation between OpenAI's shapes and its own.

An adapter never performs I/O. It builds `UpstreamRequest`s, parses bodies and
translates stream lines; the transport does the awaiting. The gateway speaks
OpenAI's chat-completions dialect to its clients, so for OpenAI-compatible
providers translation is the identity and the adapter is a few lines of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One HTTP request to a provider.

    `method` is POST for every inference call; a listing such as Ollama's /api/tags says
    GET. (`Transport.post` always POSTs: a listing needs a transport call that honours it.)
    """

    provider: str
    url: str
    headers: dict[str, str]
    body: bytes
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class ChatResult:
    """An upstream answer already in OpenAI's shape, as bytes, with its usage."""

    body: bytes
    usage: Usage | None
    model: str | None


class StreamTranslator(Protocol):
    """Turns the upstream's stream lines into OpenAI `data:` payloads (JSON bytes)."""

    usage: Usage | None
    finished: bool
    content_sent: bool

    def feed(self, line: bytes) -> list[bytes]:
        """Payloads to send for one upstream line (often none, sometimes several)."""
        ...


class ProviderAdapter(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def supports_embeddings(self) -> bool: ...

    def chat_request(
        self, body: dict[str, Any], model_id: str, api_key: str, *, stream: bool
    ) -> UpstreamRequest: ...

    def parse_chat(self, raw: bytes) -> ChatResult: ...

    def stream_translator(self, *, include_usage: bool) -> StreamTranslator: ...

    def embeddings_request(
        self, body: dict[str, Any], model_id: str, api_key: str
    ) -> UpstreamRequest: ...

    def parse_embeddings(self, raw: bytes, *, encoding_format: str = "float") -> ChatResult:
        """The OpenAI embeddings response; `encoding_format` is what the client asked for."""
        ...
