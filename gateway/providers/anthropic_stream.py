"""Anthropic's SSE events → OpenAI `chat.completion.chunk` payloads, one line at a time.

    Anthropic event                           OpenAI chunk
    message_start                             delta {role: assistant, content: ""}
    content_block_start text                  delta {content} (when the block has text)
    content_block_start tool_use              delta {tool_calls: [{index, id, type, name}]}
    content_block_delta text_delta            delta {content}
    content_block_delta input_json_delta      delta {tool_calls: [{index, arguments}]}
    content_block_stop (tool without input)   delta {tool_calls: [{index, arguments: "{}"}]}
    message_delta                             finish_reason chunk; usage noted
    message_stop                              `finished`; the usage chunk if asked for
    ping, thinking deltas, other blocks       nothing
    error                                     raises UpstreamError (UpstreamUnavailable
                                              when overloaded or rate limited)

The data line's `type` says what an event is; `event:` lines, blank lines and SSE
comments carry nothing more and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from gateway.providers.anthropic_response import finish_reason, prompt_tokens
from gateway.providers.base import Usage
from gateway.providers.openai_shapes import (
    JSON,
    STREAM_ERROR_CODE,
    ChunkWriter,
    decode_event,
    object_at,
    tool_call_delta,
    unreadable_event,
    usage_json,
)

_DATA = b"data:"

# Anthropic's error types that mean "try again later" rather than "this failed".
STREAM_ERRORS: dict[str, type[UpstreamError]] = {
    "overloaded_error": UpstreamUnavailable,
    "rate_limit_error": UpstreamUnavailable,
    "timeout_error": UpstreamTimeout,
}


def stream_error(provider: str, event: JSON) -> UpstreamError:
    """The gateway error for an in-stream `error` event, carrying the vendor's message."""
    error = object_at(event, "error")
    kind = str(error.get("type") or "api_error")
    message = str(error.get("message") or kind)
    return STREAM_ERRORS.get(kind, UpstreamError)(
        f"{provider} failed during the stream ({kind}): {message}", code=STREAM_ERROR_CODE
    )


@dataclass(slots=True)
class _ToolBlock:
    index: int  # the call's position among the message's tool calls (OpenAI's index)
    has_input: bool = False


class AnthropicStreamTranslator:
    """A StreamTranslator for Anthropic's Messages stream (see the module docstring)."""

    def __init__(self, *, include_usage: bool, created: int, provider: str = "anthropic") -> None:
        self.usage: Usage | None = None
        self.finished = False
        self.content_sent = False
        self._include_usage = include_usage
        self._created = created
        self._provider = provider
        self._writer: ChunkWriter | None = None
        self._prompt = (0, 0)
        self._tools: dict[int, _ToolBlock] = {}

    def feed(self, line: bytes) -> list[bytes]:
        """The chunks for one upstream line (most lines give none)."""
        if not line.startswith(_DATA):
            return []
        event = decode_event(line[len(_DATA) :].strip(), self._provider)
        handler = _HANDLERS.get(str(event.get("type")))
        try:
            chunks = handler(self, event) if handler else []
        except (KeyError, TypeError, ValueError, AttributeError):  # an event missing its fields
            raise unreadable_event(self._provider) from None
        self.content_sent = self.content_sent or bool(chunks)
        return chunks

    @property
    def _out(self) -> ChunkWriter:
        if self._writer is None:
            raise unreadable_event(self._provider)
        return self._writer

    def _message_start(self, event: JSON) -> list[bytes]:
        message = event.get("message") or {}
        self._writer = ChunkWriter(str(message["id"]), self._created, str(message["model"]))
        self._prompt = prompt_tokens(message.get("usage") or {})
        return [self._out.delta({"role": "assistant", "content": ""})]

    def _block_start(self, event: JSON) -> list[bytes]:
        block = event.get("content_block") or {}
        if block.get("type") == "text" and block.get("text"):
            return [self._out.delta({"content": block["text"]})]
        if block.get("type") != "tool_use":
            return []
        tool = self._tools[int(event["index"])] = _ToolBlock(len(self._tools))
        delta = tool_call_delta(
            tool.index, call_id=str(block["id"]), name=str(block["name"]), arguments=""
        )
        return [self._out.delta(delta)]

    def _block_delta(self, event: JSON) -> list[bytes]:
        delta = event.get("delta") or {}
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [self._out.delta({"content": delta["text"]})]
        tool = self._tools.get(int(event.get("index", -1)))
        partial = delta.get("partial_json")
        if delta.get("type") != "input_json_delta" or tool is None or not partial:
            return []
        tool.has_input = True
        return [
            self._out.delta(tool_call_delta(tool.index, call_id=None, name=None, arguments=partial))
        ]

    def _block_stop(self, event: JSON) -> list[bytes]:
        tool = self._tools.get(int(event.get("index", -1)))
        if tool is None or tool.has_input:
            return []
        # A tool called without input streams no JSON at all; OpenAI clients expect "{}".
        tool.has_input = True
        return [
            self._out.delta(tool_call_delta(tool.index, call_id=None, name=None, arguments="{}"))
        ]

    def _message_delta(self, event: JSON) -> list[bytes]:
        usage = event.get("usage") or {}
        if usage.get("input_tokens") is not None:
            self._prompt = prompt_tokens(usage)
        self.usage = Usage(self._prompt[0], int(usage.get("output_tokens") or 0))
        stop_reason = (event.get("delta") or {}).get("stop_reason")
        return [self._out.finish(finish_reason(stop_reason))]

    def _message_stop(self, event: JSON) -> list[bytes]:
        self.finished = True
        if not self._include_usage or self.usage is None:
            return []
        return [self._out.usage(usage_json(self.usage, self._prompt[1]))]

    def _error(self, event: JSON) -> list[bytes]:
        raise stream_error(self._provider, event)


_HANDLERS: dict[str, Callable[[AnthropicStreamTranslator, JSON], list[bytes]]] = {
    "message_start": AnthropicStreamTranslator._message_start,
    "content_block_start": AnthropicStreamTranslator._block_start,
    "content_block_delta": AnthropicStreamTranslator._block_delta,
    "content_block_stop": AnthropicStreamTranslator._block_stop,
    "message_delta": AnthropicStreamTranslator._message_delta,
    "message_stop": AnthropicStreamTranslator._message_stop,
    "error": AnthropicStreamTranslator._error,
}
