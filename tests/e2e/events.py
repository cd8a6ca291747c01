"""A raw client of the web app's event socket: sends any event a browser could send.

The dashboard's pages call their state's event handlers over this socket; a crafted
client can call any handler with any arguments, in any order. Authorization tests use
this to send what the UI never would (a viewer's revoke, another organization's key id)
and check the server refuses it.
"""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any

import socketio

NAMESPACE = "/_event"
SESSION_COOKIE = "routerai_session"
FIRST_UPDATE_S = 30.0
QUIET_S = 1.5


class EventSocket:
    """One browser tab's event connection, signed in with `session_token` (or not)."""

    def __init__(self, base_url: str, session_token: str | None) -> None:
        self._base_url = base_url
        self._cookie = f"{SESSION_COOKIE}={session_token}" if session_token else ""
        self._client = socketio.AsyncClient(reconnection=False)
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._client.on("event", self._updates.put_nowait, namespace=NAMESPACE)
        self.state: dict[str, dict[str, Any]] = {}

    async def __aenter__(self) -> EventSocket:
        headers = {"Origin": self._base_url}
        if self._cookie:
            headers["Cookie"] = self._cookie
        await self._client.connect(
            f"{self._base_url}?token={uuid.uuid4()}",
            headers=headers,
            transports=["websocket"],
            namespaces=[NAMESPACE],
            socketio_path=NAMESPACE,
            wait_timeout=10,
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.disconnect()

    async def send(self, state: type, handler: str, path: str, **payload: Any) -> list[str]:
        """Call `state.handler(**payload)` as from page `path`, and take its updates.

        Updates carry no end marker, so an event is done when its first update has come
        and the socket then stays quiet for `QUIET_S`. The state's vars as updated are
        merged into `self.state` (keyed by substate name, like the browser's store);
        returns the names of the events the server asked the browser to run next.
        """
        name = f"{state.get_full_name()}.{handler}"  # type: ignore[attr-defined]
        router_data = {"pathname": path, "asPath": path}
        event = {"name": name, "payload": payload, "router_data": router_data}
        await self._client.emit("event", event, namespace=NAMESPACE)
        follow_ups: list[str] = []
        wait_s = FIRST_UPDATE_S
        while True:
            try:
                update = await asyncio.wait_for(self._updates.get(), timeout=wait_s)
            except TimeoutError:
                if wait_s == FIRST_UPDATE_S:
                    raise
                return follow_ups
            wait_s = QUIET_S
            for substate, delta in (update.get("delta") or {}).items():
                self.state.setdefault(substate, {}).update(delta)
            follow_ups += [str(e.get("name", "")) for e in update.get("events") or []]

    def var(self, state: type, name: str) -> Any:
        """The value of `state`'s var `name` as last sent to this tab."""
        values = self.state.get(state.get_full_name(), {})  # type: ignore[attr-defined]
        return (
            values.get(f"{name}_rx_state_") if f"{name}_rx_state_" in values else values.get(name)
        )
