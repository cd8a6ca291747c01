"""OpenAI-compatible providers (OpenAI, Groq, Together): the request passes through as sent.

Only the model is replaced by the provider's own id, and a stream always asks
the upstream for its usage chunk, so the gateway can meter the call; the client
receives that chunk only when it asked for it itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from gateway.errors import UpstreamError
from gateway.providers.base import ChatResult, UpstreamRequest, Usage

_DATA = b"data: "
_DONE = b"[DONE]"


@dataclass(frozen=True, slots=True)
class OpenAICompatible:
    """An OpenAI-compatible vendor: a name and where its `/v1` lives."""

    name: str
    base_url: str
    supports_embeddings: bool = True

    def _request(self, path: str, payload: dict[str, Any], api_key: str) -> UpstreamRequest:
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        return UpstreamRequest(self.name, f"{self.base_url}{path}", headers, orjson.dumps(payload))

    def chat_request(
        self, body: dict[str, Any], model_id: str, api_key: str, *, stream: bool
    ) -> UpstreamRequest:
        payload = {**body, "model": model_id, "stream": stream}
        if stream:
            payload["stream_options"] = {
                **(body.get("stream_options") or {}),
                "include_usage": True,
            }
        return self._request("/v1/chat/completions", payload, api_key)

    def parse_chat(self, raw: bytes) -> ChatResult:
        data = orjson.loads(raw)
        return ChatResult(raw, usage_from(data.get("usage")), data.get("model"))

    def stream_translator(self, *, include_usage: bool = False) -> OpenAIStreamTranslator:
        return OpenAIStreamTranslator(include_usage, self.name)

    def embeddings_request(
        self, body: dict[str, Any], model_id: str, api_key: str
    ) -> UpstreamRequest:
        return self._request("/v1/embeddings", {**body, "model": model_id}, api_key)

    def parse_embeddings(self, raw: bytes, *, encoding_format: str = "float") -> ChatResult:
        """The upstream already answered in the format the client asked for."""
        data = orjson.loads(raw)
        usage = data.get("usage") or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        return ChatResult(raw, Usage(prompt, 0), data.get("model"))


class OpenAIStreamTranslator:
    """Passes OpenAI SSE payloads through, noting usage, first content and the end.

    Chunks are parsed only until the first one carrying content (the role chunk does
    not count), and the usage chunk: the rest pass through as bytes.
    """

    def __init__(self, include_usage: bool, provider: str = "the provider") -> None:
        self._include_usage = include_usage
        self.provider = provider
        self.usage: Usage | None = None
        self.finished = False
        self.content_sent = False

    def feed(self, line: bytes) -> list[bytes]:
        if not line.startswith(_DATA):
            return []
        payload = line[len(_DATA) :]
        if payload == _DONE:
            self.finished = True
            return []
        if payload.startswith(b'{"error"'):
            raise _stream_error(payload)
        if not (payload.startswith(b"{") and payload.endswith(b"}")):  # cheap: no parse
            raise UpstreamError(
                f"{self.provider} sent a stream chunk RouterAI could not read",
                code="upstream_invalid_response",
            )
        if b'"usage"' in payload:
            return self._usage_chunk(payload)
        if not self.content_sent:
            self.content_sent = _carries_content(payload)
        return [payload]

    def _usage_chunk(self, payload: bytes) -> list[bytes]:
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return [payload]
        usage = usage_from(data.get("usage"))
        if usage is None:
            self.content_sent = self.content_sent or _carries_content(payload)
            return [payload]
        self.usage = usage
        if data.get("choices"):
            self.content_sent = self.content_sent or _carries_content(payload)
            return [payload]
        return [payload] if self._include_usage else []


def _carries_content(payload: bytes) -> bool:
    """Whether a chunk gives the client something of the answer (not just the role)."""
    try:
        choices = orjson.loads(payload).get("choices") or []
    except (ValueError, AttributeError):
        return True  # unreadable: the client has seen it, so it counts as sent
    for choice in choices:
        delta = choice.get("delta") or {}
        if delta.get("content") or delta.get("tool_calls") or delta.get("refusal"):
            return True
        if choice.get("finish_reason"):
            return True
    return False


def _stream_error(payload: bytes) -> UpstreamError:
    """An error the upstream sent inside its stream, as the gateway's own error."""
    try:
        message = str(orjson.loads(payload)["error"].get("message") or "stream error")
    except (ValueError, TypeError, KeyError, AttributeError):
        message = "stream error"
    return UpstreamError(f"the provider failed mid-stream: {message}", code="upstream_stream_error")


def usage_from(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))
