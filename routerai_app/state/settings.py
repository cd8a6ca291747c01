"""The settings page: organization name and slug, members, invitations, deletion.

Every rule (roles, the last owner, who may make owners, the typed confirmation) lives
in the services; this state shows their answers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.members import InvitationRow, MemberRow
from gateway.db.enums import MemberRole
from routerai_app.backend import public_url, services
from routerai_app.state.session import SessionState

log = logging.getLogger("routerai.web")
NOT_ALLOWED = "Your role does not allow this change."
FAILED = "Something went wrong and nothing was changed. Please try again."
ROLE_LABELS = {"owner": "Owner", "admin": "Admin", "member": "Member", "viewer": "Viewer"}


def member_view(row: MemberRow, you: uuid.UUID) -> dict[str, str]:
    return {
        "user_id": str(row.user_id),
        "email": row.email,
        "name": row.display_name or row.email.split("@")[0],
        "role": row.role.value,
        "joined": row.joined_at.strftime("%b %d, %Y"),
        "you": "yes" if row.user_id == you else "",
    }


def invitation_view(row: InvitationRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "email": row.email,
        "role": ROLE_LABELS[row.role.value],
        "expires": row.expires_at.strftime("%b %d, %Y"),
    }


class SettingsState(SessionState):
    loading: bool = True
    error: str = ""
    busy: str = ""
    org_error: str = ""
    members_error: str = ""
    form_name: str = ""
    form_slug: str = ""
    members: list[dict[str, str]] = []
    invitations: list[dict[str, str]] = []
    # Which dialog shows: "invite", "link", "remove", "revoke", "delete".
    dialog: str = "invite"
    dialog_open: bool = False
    dialog_error: str = ""
    target_id: str = ""
    target_label: str = ""
    invite_link: str = ""

    @rx.var
    def role_choices(self) -> list[str]:
        """The roles offered in the pickers (the service decides what is allowed)."""
        if self.role == MemberRole.OWNER.value:
            return list(ROLE_LABELS)
        return [r for r in ROLE_LABELS if r != MemberRole.OWNER.value]

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        self.org_error = self.members_error = ""
        self.dialog_open = False
        self.busy = ""
        return await self._reload()

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        yield None
        yield await self._reload()

    async def _reload(self) -> rx.event.EventSpec | None:
        access = await self._access()
        if access is None:
            return self._login_redirect()
        actor = access
        app = services()
        try:
            details = await app.organization.details(actor)
            members = await app.members.list_members(actor)
            invitations = await app.members.list_invitations(actor)
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("loading the settings page failed")
            self.error = "Settings could not be loaded."
        else:
            self.form_name, self.form_slug = details.name, details.slug
            self.org_name, self.org_slug = details.name, details.slug
            self.members = [member_view(row, access.user_id) for row in members]
            self.invitations = [invitation_view(row) for row in invitations]
            self.error = ""
        self.loading = False
        return None

    @rx.event
    def open_dialog(self, name: str, target_id: str = "", label: str = "") -> None:
        self.dialog = name
        self.dialog_open = True
        self.dialog_error = ""
        self.target_id = target_id
        self.target_label = label

    @rx.event
    def close_dialog(self, open_: bool = False) -> None:
        if not open_ and not self.busy:
            self.dialog_open = False
            self.invite_link = ""

    @rx.event
    async def save_org(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change("org", self._save_org, form):
            yield update

    @rx.event
    async def invite(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change("invite", self._invite, form):
            yield update

    @rx.event
    async def change_role(
        self, user_id: str, role: str
    ) -> AsyncIterator[rx.event.EventSpec | None]:
        form = {"user_id": user_id, "role": role}
        async for update in self._change(f"role:{user_id}", self._change_role, form):
            yield update

    @rx.event
    async def remove(self) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change("remove", self._remove, {}):
            yield update

    @rx.event
    async def revoke(self) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change("revoke", self._revoke, {}):
            yield update

    @rx.event
    async def delete_org(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        async for update in self._change("delete", self._delete, form):
            yield update

    async def _change(
        self,
        busy: str,
        action: Callable[[Actor, dict[str, Any]], Awaitable[str | rx.event.EventSpec]],
        form: dict[str, Any],
    ) -> AsyncIterator[rx.event.EventSpec | None]:
        """Run one change with a busy state; its error shows where it was asked."""
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.busy = busy
        self._set_error(busy, "")
        yield None
        try:
            outcome = await action(access, form)
        except PermissionDenied:
            self._set_error(busy, NOT_ALLOWED)
        except (ValueError, LookupError) as exc:
            self._set_error(busy, _sentence(str(exc)))
        except (SQLAlchemyError, RedisError):
            log.exception("changing settings failed")
            self._set_error(busy, FAILED)
        else:
            if isinstance(outcome, str):
                yield rx.toast.success(outcome, position="bottom-right")
            else:
                self.busy = ""
                yield outcome
                return
        finally:
            self.busy = ""
        await self._reload()

    def _set_error(self, busy: str, message: str) -> None:
        if busy == "org":
            self.org_error = message
        elif busy.startswith("role:"):
            self.members_error = message
        else:
            self.dialog_error = message

    async def _save_org(self, actor: Actor, form: dict[str, Any]) -> str:
        details = await services().organization.update(
            actor, name=str(form.get("name", "")), slug=str(form.get("slug", ""))
        )
        return f"Saved {details.name}"

    async def _invite(self, actor: Actor, form: dict[str, Any]) -> str:
        issued = await services().members.invite(
            actor, email=str(form.get("email", "")), role=str(form.get("role", "member"))
        )
        self.invite_link = public_url(services().settings) + issued.link
        self.dialog = "link"
        return f"Invitation created for {issued.row.email}"

    async def _change_role(self, actor: Actor, form: dict[str, Any]) -> str:
        row = await services().members.change_role(
            actor, uuid.UUID(form["user_id"]), str(form["role"])
        )
        return f"{row.email} is now {ROLE_LABELS[row.role.value].lower()}"

    async def _remove(self, actor: Actor, form: dict[str, Any]) -> str | rx.event.EventSpec:
        user_id = uuid.UUID(self.target_id)
        await services().members.remove(actor, user_id)
        self.dialog_open = False
        if user_id == actor.user_id:
            return self._left_org()
        return f"Removed {self.target_label}"

    async def _revoke(self, actor: Actor, form: dict[str, Any]) -> str:
        await services().members.revoke_invitation(actor, uuid.UUID(self.target_id))
        self.dialog_open = False
        return f"Revoked the invitation for {self.target_label}"

    async def _delete(self, actor: Actor, form: dict[str, Any]) -> rx.event.EventSpec:
        await services().organization.delete(actor, confirm_name=str(form.get("confirm", "")))
        self.dialog_open = False
        return self._left_org()

    def _left_org(self) -> rx.event.EventSpec:
        self.org_id = ""
        return rx.redirect("/dashboard", replace=True)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
