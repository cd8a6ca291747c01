"""Stripe's v1 request encoding: `a[b][0][c]=x` form fields back into nested values.

The SDK encodes dicts as `key[sub]`, lists as `key[0]`, `key[1]` (always indexed),
booleans as `true`/`false`, and leaves every value a string on the wire.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(encoded: str) -> dict[str, Any]:
    """The nested params of a query string or form body (values stay strings)."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        parts = _split(key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        last = parts[-1]
        if last == "":  # `key[]=…`: append
            last = str(len(node))
        node[last] = value
    return _listify(root)


def _split(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head, *_PART.findall("[" + rest)] if rest else [head]


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items
