"""Typed request pieces and narrowing helpers shared by the sandbox tests."""

from __future__ import annotations

import anthropic
import httpx2
import openai
from anthropic.types import Message, MessageParam, TextBlock, ToolUseBlock
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello to the team."}]
CLAUDE_HELLO: list[MessageParam] = [{"role": "user", "content": "Say hello to the team."}]

# What a client sees is that the SDK raises; which class it raises is the SDK's own choice,
# and releases change it (anthropic 2.17 began wrapping everything in APIConnectionError).
# A body that is not JSON: the OpenAI SDK lets the decoder's ValueError through today.
UNREADABLE_BODY = (ValueError, openai.APIError)
# A connection cut mid-answer: the SDK's connection error, or the transport's own.
CUT_CONNECTION = (openai.APIConnectionError, anthropic.APIConnectionError, httpx2.TransportError)


def claude_text(message: Message) -> str:
    """The text of a message whose first block is text."""
    block = message.content[0]
    assert isinstance(block, TextBlock)
    return block.text


def claude_tool_use(message: Message) -> ToolUseBlock:
    """The first block of a message, which must be a tool_use block."""
    block = message.content[0]
    assert isinstance(block, ToolUseBlock)
    return block


def function_call(completion: ChatCompletion) -> ChatCompletionMessageFunctionToolCall:
    """The one function tool call of the first choice."""
    calls = completion.choices[0].message.tool_calls
    assert calls is not None and len(calls) == 1
    assert isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    return calls[0]
