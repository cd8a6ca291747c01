"""The API keys page: list, create, revoke and rotate. Roles are enforced by the service."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.keys import GRACE_PERIODS_S, IssuedKey, KeyRow
from gateway.tenancy.keys import KeyNotFoundError
from routerai_app.backend import services
from routerai_app.state.session import SessionState

GRACE_LABELS = {
    0: "Revoke the old key now",
    3600: "Keep it for 1 hour",
    86400: "Keep it for 24 hours",
}
NOT_ALLOWED = "Your role can view keys but not change them."
log = logging.getLogger("routerai.web")


def when(moment: datetime | None, now: datetime) -> str:
    """ "3 min ago", "2 h ago", "Nov 24, 2026", or "Never"."""
    if moment is None:
        return "Never"
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "Just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return moment.strftime("%b %d, %Y")


@dataclass(frozen=True, slots=True)
class Changed:
    """What a change says in its toast, and the event that shows a new key, if it made one."""

    message: str
    reveal: rx.event.EventSpec | None = None


def key_view(row: KeyRow, now: datetime) -> dict[str, str]:
    status_label = {"active": "Active", "revoked": "Revoked", "expiring": "Expiring"}[row.status]
    if row.revokes_at is not None:
        minutes = max(1, int((row.revokes_at - now).total_seconds() // 60))
        status_label = (
            f"Expires in {minutes} min" if minutes < 120 else f"Expires in {minutes // 60} h"
        )
    return {
        "id": str(row.id),
        "name": row.name,
        "prefix": row.prefix,
        "environment": row.environment,
        "created": row.created_at.strftime("%b %d, %Y"),
        "last_used": when(row.last_used_at, now),
        "status": row.status,
        "status_label": status_label,
    }


class KeysState(SessionState):
    keys: list[dict[str, str]] = []
    loading: bool = True
    error: str = ""
    busy: bool = False
    # Which dialog shows ("create", "revoke", "rotate", "reveal"); it keeps its content
    # while `dialog_open` turns false, so the closing animation does not flicker.
    dialog: str = "create"
    dialog_open: bool = False
    dialog_error: str = ""
    target_id: str = ""
    target_name: str = ""
    grace: str = "0"
    reveal_title: str = ""

    @rx.var
    def active_count(self) -> int:
        return sum(1 for key in self.keys if key["status"] != "revoked")

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        await self._reload()
        return None

    async def _reload(self) -> rx.event.EventSpec | None:
        access = await self._access()
        if access is None:
            return self._login_redirect()
        try:
            rows = await services().keys.list_keys(access)
        except (SQLAlchemyError, RedisError):
            log.exception("listing API keys failed")
            self.error = "The keys could not be loaded."
        else:
            now = datetime.now(UTC)
            self.keys = [key_view(row, now) for row in rows]
            self.error = ""
        self.loading = False
        return None

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        yield None
        yield await self._reload()

    @rx.event
    def open_dialog(self, name: str, key_id: str = "", key_name: str = "") -> None:
        self.dialog = name
        self.dialog_open = True
        self.dialog_error = ""
        self.target_id = key_id
        self.target_name = key_name
        self.grace = "0"

    @rx.event
    def close_dialog(self, open_: bool = False) -> rx.event.EventSpec | None:
        if open_ or self.busy:
            return None
        self.dialog_open = False
        return self._key_shown() if self.dialog == "reveal" else None

    @rx.event
    def set_grace(self, value: str) -> None:
        self.grace = value

    @rx.event
    async def create(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change(self._create, form):
            yield update

    @rx.event
    async def revoke(self) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change(self._revoke, {}):
            yield update

    @rx.event
    async def rotate(self) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change(self._rotate, {}):
            yield update

    async def _change(
        self, action: Callable[[Actor, dict[str, Any]], Awaitable[Changed]], form: dict[str, Any]
    ) -> AsyncIterator[rx.event.EventSpec | None]:
        """Run one change with a busy state; errors stay in the dialog."""
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.busy = True
        self.dialog_error = ""
        yield None
        try:
            changed = await action(access, form)
        except PermissionDenied:
            self.dialog_error = NOT_ALLOWED
        except (ValueError, KeyNotFoundError, LookupError) as exc:
            self.dialog_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError):
            log.exception("changing an API key failed")
            self.dialog_error = "Something went wrong and nothing was changed. Please try again."
        else:
            if changed.reveal is not None:
                yield changed.reveal
            yield rx.toast.success(changed.message, position="bottom-right")
        finally:
            self.busy = False
        await self._reload()

    async def _create(self, actor: Actor, form: dict[str, Any]) -> Changed:
        issued = await services().keys.create(
            actor,
            name=str(form.get("name", "")),
            environment=str(form.get("environment", "prod")),
        )
        return Changed(f"Created {issued.row.name}", self._reveal(issued, "Your new API key"))

    async def _revoke(self, actor: Actor, form: dict[str, Any]) -> Changed:
        row = await services().keys.revoke(actor, uuid.UUID(self.target_id))
        self.dialog_open = False
        return Changed(f"Revoked {row.name}. Requests with it fail with 401 within a second.")

    async def _rotate(self, actor: Actor, form: dict[str, Any]) -> Changed:
        grace = int(self.grace)
        if grace not in GRACE_PERIODS_S:
            raise ValueError("choose a grace period")
        issued = await services().keys.rotate(actor, uuid.UUID(self.target_id), grace_s=grace)
        reveal = self._reveal(issued, f"Rotated {issued.row.name}")
        if grace == 0:
            return Changed("Key rotated", reveal)
        return Changed(f"Key rotated; the old one lasts {grace // 3600} h", reveal)

    def _reveal(self, issued: IssuedKey, title: str) -> rx.event.EventSpec:
        self.reveal_title = title
        self.dialog = "reveal"
        self.dialog_open = True
        return self._show_once(issued.api_key)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
