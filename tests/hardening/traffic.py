"""Requests for the fault suites: one call of each kind, its outcome read in full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, text

from gateway.db.sessions import tenant_session
from tests.gateway.conftest import Tenant

CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Say something short."}],
    "max_tokens": 16,
}
EMBED = {"model": "text-embedding-3-small", "input": "hello"}
KINDS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "chat": ("POST", "/v1/chat/completions", CHAT),
    "stream": ("POST", "/v1/chat/completions", {**CHAT, "stream": True}),
    "embeddings": ("POST", "/v1/embeddings", EMBED),
    "models": ("GET", "/v1/models", None),
}


@dataclass(frozen=True)
class Outcome:
    """One request's end: HTTP status, and for streams how the stream ended."""

    kind: str
    status: int
    body: str
    request_id: str | None

    @property
    def events(self) -> list[Any]:
        """The stream's JSON events; one that does not parse stands as {"unreadable": …}."""
        found = []
        for line in self.body.splitlines():
            if line.startswith("data: {"):
                try:
                    found.append(orjson.loads(line[6:]))
                except orjson.JSONDecodeError:
                    found.append({"unreadable": line})
        return found

    @property
    def ok(self) -> bool:
        return self.status == 200 and (self.kind != "stream" or self.stream_end == "done")

    @property
    def stream_end(self) -> str:
        """How a stream ended: "done" (content, then [DONE]), "error" (one error event,
        last) or "broken" (anything else: an unreadable event, a silent end)."""
        events = self.events
        if any("unreadable" in e for e in events):
            return "broken"
        if "data: [DONE]" in self.body:
            done_last = self.body.rstrip().endswith("data: [DONE]")
            clean = done_last and not any("error" in e for e in events)
            return "done" if clean else "broken"
        errors = [e for e in events if "error" in e]
        if len(errors) == 1 and events[-1] is errors[0] and set(errors[0]) == {"error"}:
            return "error"
        return "broken"

    def openai_error(self) -> bool:
        try:
            error = orjson.loads(self.body)["error"]
        except (ValueError, KeyError, TypeError):
            return False
        return set(error) == {"message", "type", "param", "code"} and bool(error["message"])


def send(
    http: httpx.Client, tenant: Tenant, kind: str, body: dict[str, Any] | None = None
) -> Outcome:
    method, path, default = KINDS[kind]
    headers = {"Authorization": f"Bearer {tenant.key}"}
    response = http.request(method, path, json=body or default, headers=headers)
    return Outcome(kind, response.status_code, response.text, response.headers.get("x-request-id"))


def logged_ids(engine: Engine, tenant: Tenant) -> list[str]:
    """request_logs ids of the tenant (duplicates kept, to be counted)."""
    with tenant_session(engine, tenant.org.id) as session:
        rows = session.execute(text("SELECT request_id FROM request_logs"))
        return [str(row) for row in rows.scalars()]
