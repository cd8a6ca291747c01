"""`/invite?org=…&token=…`: a signed-in user accepts an invitation to an organization.

A signed-out visitor sees whose invitation it is and is sent to log in or sign up, then
back here. The service decides whether the link may be used and says why not.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.dashboard.members import INVALID_LINK, InvitationError, InvitationPreview
from routerai_app.backend import services
from routerai_app.state.session import SessionState

log = logging.getLogger("routerai.web")


class InviteState(SessionState):
    loading: bool = True
    # "signed_out", "ready" (may accept), "refused" (the link cannot be used) or "error"
    status: str = "ready"
    message: str = ""
    busy: bool = False
    invited_org: str = ""
    invited_role: str = ""
    invited_email: str = ""
    login_href: str = "/login"
    signup_href: str = "/signup"

    def _link(self) -> tuple[uuid.UUID, str] | None:
        params = self.router.url.query_parameters
        try:
            return uuid.UUID(params.get("org", "")), params.get("token", "")
        except ValueError:
            return None

    @rx.event
    async def load(self) -> None:
        self.loading = True
        self.busy = False
        back = "/invite?" + urlencode(dict(self.router.url.query_parameters))
        self.login_href = "/login?" + urlencode({"next": back})
        self.signup_href = "/signup?" + urlencode({"next": back})
        viewer = await self._ensure_viewer()
        preview = await self._preview()
        if preview is not None:
            self.status = "ready" if viewer is not None else "signed_out"
        self.loading = False

    async def _preview(self) -> InvitationPreview | None:
        link = self._link()
        try:
            if link is None:
                raise InvitationError(INVALID_LINK)
            preview = await services().members.preview(*link)
        except InvitationError as exc:
            self._refuse(str(exc))
            return None
        except (SQLAlchemyError, RedisError):
            log.exception("reading an invitation failed")
            self.status, self.message = "error", "The invitation could not be loaded."
            return None
        self.invited_org = preview.org_name
        self.invited_role = preview.role.value
        self.invited_email = preview.email
        self.message = ""
        return preview

    def _refuse(self, message: str) -> None:
        self.status, self.message = "refused", message

    @rx.event
    async def accept(self) -> AsyncIterator[rx.event.EventSpec | None]:
        viewer = await self._ensure_viewer()
        token = self._session_token()
        link = self._link()
        if viewer is None or token is None:
            self.status = "signed_out"
            return
        if link is None:
            self._refuse(INVALID_LINK)
            return
        self.busy = True
        yield None
        try:
            joined = await services().members.accept(viewer.user_id, *link)
        except InvitationError as exc:
            self._refuse(str(exc))
        except (SQLAlchemyError, RedisError):
            log.exception("accepting an invitation failed")
            self.message = "Something went wrong and you did not join. Please try again."
        else:
            switched = await services().auth.switch_organization(token, joined.org_id)
            self._apply(switched)
            yield rx.toast.success(f"You joined {joined.org_name}.", position="bottom-right")
            yield rx.redirect("/dashboard", replace=True)
        finally:
            self.busy = False
