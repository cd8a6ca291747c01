"""OpenAI chat messages → Anthropic's `system` text and `messages` turns. Pure.

- system / developer messages, wherever they stand, become `system` (joined by blank lines);
- user parts: text → text blocks, images (data URLs and http(s) URLs) → image blocks,
  PDF files given as data URLs → document blocks;
- assistant: text → a text block, `tool_calls` → tool_use blocks (arguments decoded);
- tool messages → tool_result blocks in a user turn;
- consecutive turns of one role are merged (Anthropic requires alternation), and in a
  user turn the tool_result blocks come first, as Anthropic requires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.errors import InvalidRequest
from gateway.providers.openai_shapes import (
    JSON,
    image_url_of,
    object_at,
    parse_data_url,
    parts_of,
    text_of,
    tool_arguments,
)

SYSTEM_ROLES = frozenset({"system", "developer"})


def _image_block(part: JSON, param: str) -> JSON:
    url = image_url_of(part, param)
    data = parse_data_url(url, param)
    if data is not None:
        source = {"type": "base64", "media_type": data.media_type, "data": data.data}
        return {"type": "image", "source": source}
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise InvalidRequest(f"'{param}' must be an http(s) URL or a data URL.", param=param)


def _document_block(part: JSON, param: str) -> JSON:
    data = parse_data_url(str(object_at(part, "file").get("file_data") or ""), param)
    if data is None:
        raise InvalidRequest(
            f"'{param}': Anthropic models take files as base64 data URLs in 'file_data'.",
            param=param,
        )
    source = {"type": "base64", "media_type": data.media_type, "data": data.data}
    return {"type": "document", "source": source}


def _text_block(part: JSON, param: str) -> JSON | None:
    text = part.get("text")
    return {"type": "text", "text": text} if isinstance(text, str) and text else None


def _refusal_block(part: JSON, param: str) -> JSON | None:
    """An earlier refusal the client sends back is plain assistant text to Anthropic."""
    return _text_block({"text": part.get("refusal")}, param)


_PART_BLOCKS: dict[str, Callable[[JSON, str], JSON | None]] = {
    "text": _text_block,
    "refusal": _refusal_block,
    "image_url": _image_block,
    "file": _document_block,
}


def _content_blocks(content: Any, param: str) -> list[JSON]:
    blocks = []
    for index, part in enumerate(parts_of(content)):
        kind = str(part.get("type"))
        convert = _PART_BLOCKS.get(kind)
        if convert is None:
            raise InvalidRequest(
                f"'{param}[{index}]': content parts of type '{kind}' are not supported by "
                "Anthropic models.",
                param=f"{param}[{index}]",
            )
        block = convert(part, f"{param}[{index}]")
        if block is not None:
            blocks.append(block)
    return blocks


def _user(message: JSON, param: str) -> tuple[str, list[JSON]]:
    return "user", _content_blocks(message.get("content"), f"{param}.content")


def _assistant(message: JSON, param: str) -> tuple[str, list[JSON]]:
    blocks = _content_blocks(message.get("content"), f"{param}.content")
    for index, call in enumerate(message.get("tool_calls") or []):
        call_param = f"{param}.tool_calls[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not function.get("name") or not call.get("id"):
            raise InvalidRequest(
                f"'{call_param}' needs an id and a function name.", param=call_param
            )
        arguments = tool_arguments(call, call_param)
        blocks.append(
            {"type": "tool_use", "id": call["id"], "name": function["name"], "input": arguments}
        )
    return "assistant", blocks


def _tool(message: JSON, param: str) -> tuple[str, list[JSON]]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"'{param}.tool_call_id' is required.", param=f"{param}.tool_call_id")
    result = {
        "type": "tool_result",
        "tool_use_id": call_id,
        "content": text_of(message.get("content")),
    }
    return "user", [result]


_TURNS: dict[str, Callable[[JSON, str], tuple[str, list[JSON]]]] = {
    "user": _user,
    "assistant": _assistant,
    "tool": _tool,
}


def _merged(turns: list[tuple[str, list[JSON]]]) -> list[JSON]:
    merged: list[JSON] = []
    for role, blocks in turns:
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"].extend(blocks)
        else:
            merged.append({"role": role, "content": list(blocks)})
    for turn in merged:
        if turn["role"] == "user":  # tool results first; sorted() is stable
            turn["content"] = sorted(turn["content"], key=lambda b: b["type"] != "tool_result")
    return merged


def convert_messages(messages: list[JSON]) -> tuple[list[str], list[JSON]]:
    """(system texts, Anthropic turns) for OpenAI `messages`; 400 on what cannot be sent.

    A message left with no content (an empty assistant turn, say) is dropped, since
    Anthropic refuses empty turns.
    """
    system: list[str] = []
    turns: list[tuple[str, list[JSON]]] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        param = f"messages[{index}]"
        if role in SYSTEM_ROLES:
            text = text_of(message.get("content"))
            if text:
                system.append(text)
            continue
        convert = _TURNS.get(str(role))
        if convert is None:
            raise InvalidRequest(
                f"'{param}.role': '{role}' messages cannot be sent to Anthropic models; "
                "use tools and tool messages.",
                param=f"{param}.role",
            )
        turn_role, blocks = convert(message, param)
        if blocks:
            turns.append((turn_role, blocks))
    return system, _merged(turns)


def has_tool_blocks(turns: list[JSON]) -> bool:
    """Whether any turn holds tool_use or tool_result blocks (Anthropic then needs `tools`)."""
    return any(
        block["type"] in ("tool_use", "tool_result") for turn in turns for block in turn["content"]
    )
