"""Reading a gateway stream as raw SSE, to check the framing the SDK hides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


@dataclass
class RawStream:
    status: int
    headers: httpx.Headers
    events: list[Any] = field(default_factory=list)  # parsed `data:` payloads, "[DONE]" as is
    comments: list[str] = field(default_factory=list)


def read_stream(base_url: str, key: str, body: dict[str, Any]) -> RawStream:
    with httpx.stream(
        "POST",
        f"{base_url}/v1/chat/completions",
        json=body,
        timeout=30,
        headers={"Authorization": f"Bearer {key}"},
    ) as response:
        stream = RawStream(response.status_code, response.headers)
        for line in response.iter_lines():
            if line.startswith("data: "):
                payload = line[len("data: ") :]
                stream.events.append(payload if payload == "[DONE]" else orjson.loads(payload))
            elif line.startswith(":"):
                stream.comments.append(line[1:].strip())
    return stream
