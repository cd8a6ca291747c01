"""Helpers for provider tests: run a translated stream as the pipeline does, and read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.errors import GatewayError
from gateway.pricing.catalog import Capability, Catalog, ModelKind
from gateway.providers.base import ProviderAdapter, StreamTranslator, UpstreamRequest
from gateway.providers.transport import Transport
from tests.fixtures.openai_spec import validate

CATALOG = Catalog()
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


def chat_model(provider: str) -> str:
    """A chat model `provider` serves that can call tools."""
    return next(
        m.id
        for m in CATALOG.of_provider(provider)
        if m.kind is ModelKind.CHAT and Capability.TOOLS in m.capabilities
    )


def embedding_model(provider: str) -> str | None:
    """An embedding model `provider` serves, if the catalogue lists one."""
    return next(
        (m.id for m in CATALOG.of_provider(provider) if m.kind is ModelKind.EMBEDDING), None
    )


@dataclass
class Assembled:
    """A chunk sequence read back into one answer, as an OpenAI client would."""

    text: str = ""
    role: str | None = None
    finish: str | None = None
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    usage_chunks: list[dict[str, Any]] = field(default_factory=list)


def assemble(chunks: Iterable[dict[str, Any]]) -> Assembled:
    out = Assembled()
    for chunk in chunks:
        if chunk.get("usage"):
            out.usage_chunks.append(chunk["usage"])
        for choice in chunk["choices"]:
            delta = choice["delta"]
            out.role = out.role or delta.get("role")
            out.text += delta.get("content") or ""
            out.finish = choice.get("finish_reason") or out.finish
            for call in delta.get("tool_calls") or []:
                slot = out.tool_calls.setdefault(call["index"], {"arguments": ""})
                slot.update({k: call[k] for k in ("id", "type") if k in call})
                function = call.get("function") or {}
                slot["name"] = function.get("name") or slot.get("name")
                slot["arguments"] += function.get("arguments") or ""
    return out


def feed_all(translator: StreamTranslator, lines: Iterable[bytes]) -> list[dict[str, Any]]:
    """Every chunk a translator makes of `lines`, each checked against OpenAI's schema."""
    chunks = [orjson.loads(p) for line in lines for p in translator.feed(line)]
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk)
    return chunks


@dataclass
class StreamRun:
    chunks: list[dict[str, Any]]
    translator: StreamTranslator
    error: GatewayError | None

    @property
    def failed(self) -> bool:
        """What the pipeline turns into an error event: a raised error, or no clean end."""
        return self.error is not None or not self.translator.finished


async def run_stream(
    transport: Transport,
    adapter: ProviderAdapter,
    request: UpstreamRequest,
    *,
    include_usage: bool = False,
) -> StreamRun:
    """Stream `request` through `adapter`'s translator, keeping the error that ends it."""
    translator = adapter.stream_translator(include_usage=include_usage)
    chunks: list[dict[str, Any]] = []
    try:
        async for line in transport.stream(request):
            chunks += [orjson.loads(p) for p in translator.feed(line)]
    except GatewayError as exc:
        return StreamRun(chunks, translator, exc)
    return StreamRun(chunks, translator, None)
