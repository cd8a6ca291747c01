"""Ollama's NDJSON chat stream → OpenAI `chat.completion.chunk` payloads, line by line.

Ollama line                               OpenAI chunk
the first line                            delta {role: assistant, content: ""} first
message.content                           delta {content}
message.tool_calls (whole calls)          delta {tool_calls: [{index, id, type, name,
                                          arguments}]}
done: true (done_reason, counts)          finish_reason chunk; usage noted; `finished`;
                                          the usage chunk if asked for
{"error": "…"}                            raises UpstreamError with Ollama's message
blank lines                               nothing
"""

from __future__ import annotations

from gateway.errors import UpstreamError
from gateway.providers.base import Usage
from gateway.providers.ollama_response import finish_reason, tool_calls, usage_of
from gateway.providers.openai_shapes import (
    JSON,
    STREAM_ERROR_CODE,
    ChunkWriter,
    decode_event,
    tool_call_delta,
    unreadable_event,
    usage_json,
)


class OllamaStreamTranslator:
    """A StreamTranslator for /api/chat's NDJSON stream (see the module docstring)."""

    def __init__(
        self, *, include_usage: bool, completion_id: str, created: int, provider: str = "ollama"
    ) -> None:
        self.usage: Usage | None = None
        self.finished = False
        self.content_sent = False
        self._include_usage = include_usage
        self._id = completion_id
        self._created = created
        self._provider = provider
        self._writer: ChunkWriter | None = None
        self._calls = 0

    def feed(self, line: bytes) -> list[bytes]:
        """The chunks for one NDJSON line."""
        if not line.strip():
            return []
        data = decode_event(line, self._provider)
        if "error" in data:
            raise UpstreamError(
                f"{self._provider} failed during the stream: {data['error']}",
                code=STREAM_ERROR_CODE,
            )
        try:
            chunks = self._start(data) + self._message(data.get("message") or {})
            if data.get("done"):
                chunks += self._done(data)
        except (KeyError, TypeError, ValueError, AttributeError):  # a line missing its fields
            raise unreadable_event(self._provider) from None
        self.content_sent = self.content_sent or bool(chunks)
        return chunks

    def _start(self, data: JSON) -> list[bytes]:
        if self._writer is not None:
            return []
        self._writer = ChunkWriter(self._id, self._created, str(data.get("model") or ""))
        return [self._writer.delta({"role": "assistant", "content": ""})]

    def _message(self, message: JSON) -> list[bytes]:
        assert self._writer is not None
        chunks = []
        if message.get("content"):
            chunks.append(self._writer.delta({"content": message["content"]}))
        for call in tool_calls(message.get("tool_calls"), self._id, self._calls):
            function = call["function"]
            delta = tool_call_delta(
                self._calls,
                call_id=call["id"],
                name=function["name"],
                arguments=function["arguments"],
            )
            chunks.append(self._writer.delta(delta))
            self._calls += 1
        return chunks

    def _done(self, data: JSON) -> list[bytes]:
        assert self._writer is not None
        self.usage = usage_of(data)
        self.finished = True
        finish = finish_reason(data.get("done_reason"), called_tools=self._calls > 0)
        chunks = [self._writer.finish(finish)]
        if self._include_usage:
            chunks.append(self._writer.usage(usage_json(self.usage)))
        return chunks
