"""Who is signed in, in this browser tab, and which organization they are looking at.

The session itself lives server-side (`gateway.auth.sessions`); this state holds only
what the shell shows. Every dashboard page's loader calls `_ensure_viewer`, which reads
the HttpOnly cookie from the event connection's headers and asks the auth service;
without a live session the visitor is sent to /login.
"""

from __future__ import annotations

import uuid

import reflex as rx

from gateway.auth.permissions import Action, Actor, allows
from gateway.auth.service import Viewer
from gateway.tenancy.keys import display_prefix
from routerai_app.backend import services
from routerai_app.cookies import cookie_value
from routerai_app.reveal import forget_key, show_key


class SessionState(rx.State):
    """The signed-in user and current organization, as the shell shows them."""

    signed_in: bool = False
    user_email: str = ""
    user_name: str = ""
    org_id: str = ""
    org_name: str = ""
    org_slug: str = ""
    org_plan: str = ""
    role: str = ""
    orgs: list[dict[str, str]] = []
    # Whether a key created in this tab (at sign-up, creation or rotation) is being shown
    # once, and its display prefix. The key itself never becomes state: Reflex keeps
    # state in Redis, so it goes to the page alone (`routerai_app.reveal`).
    key_showing: bool = False
    key_prefix: str = ""
    sandbox_mode: bool = False

    @rx.var
    def can_manage_keys(self) -> bool:
        return bool(self.role) and allows(self.role, Action.MANAGE_KEYS)

    @rx.var
    def can_run_benchmarks(self) -> bool:
        return bool(self.role) and allows(self.role, Action.RUN_BENCHMARKS)

    @rx.var
    def can_configure(self) -> bool:
        return bool(self.role) and allows(self.role, Action.CONFIGURE)

    @rx.var
    def can_manage_members(self) -> bool:
        return bool(self.role) and allows(self.role, Action.MANAGE_MEMBERS)

    @rx.var
    def can_manage_billing(self) -> bool:
        return bool(self.role) and allows(self.role, Action.MANAGE_BILLING)

    @rx.var
    def can_delete_organization(self) -> bool:
        return bool(self.role) and allows(self.role, Action.DELETE_ORGANIZATION)

    @rx.var
    def initials(self) -> str:
        source = self.user_name or self.user_email
        parts = [p for p in source.replace("@", " ").replace(".", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @rx.var
    def plan_label(self) -> str:
        return f"{self.org_plan.capitalize()} plan" if self.org_plan else ""

    def _session_token(self) -> str | None:
        return cookie_value(self.router.headers.cookie)

    def _current_org(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.org_id) if self.org_id else None
        except ValueError:
            return None

    async def _ensure_viewer(self) -> Viewer | None:
        """Refresh the shell's user and organization from the server-side session."""
        viewer = await services().auth.viewer(self._session_token(), self._current_org())
        self._apply(viewer)
        return viewer

    async def _enter_dashboard(self) -> rx.event.EventSpec | None:
        """What every dashboard page's loader does first: refresh the shell, and send a
        signed-out visitor to /login and a user without an organization to /onboarding.
        None when the page may load."""
        viewer = await self._ensure_viewer()
        if viewer is None:
            return self._login_redirect()
        if viewer.current is None:
            return rx.redirect("/onboarding", replace=True)
        return None

    async def _access(self) -> Actor | None:
        """The session's role in this tab's organization, checked now; without one (signed
        out, or no longer a member) the tab forgets who was signed in."""
        org_id = self._current_org()
        actor = None
        if org_id is not None:
            actor = await services().auth.access(self._session_token(), org_id)
        if actor is None:
            self._sign_out_locally()
        return actor

    def _apply(self, viewer: Viewer | None) -> None:
        self.sandbox_mode = services().settings.sandbox_mode
        if viewer is None:
            self._sign_out_locally()
            return
        self.signed_in = True
        self.user_email = viewer.email
        self.user_name = viewer.display_name
        self.orgs = [
            {"id": str(o.org_id), "name": o.name, "role": o.role.value, "plan": o.plan}
            for o in viewer.organizations
        ]
        current = viewer.current
        if current is None:
            self.org_id = self.org_name = self.org_slug = self.org_plan = self.role = ""
            return
        if self.org_id and str(current.org_id) != self.org_id:
            self._key_shown()  # a key belongs to the organization it was made in
        self.org_id = str(current.org_id)
        self.org_name = current.name
        self.org_slug = current.slug
        self.org_plan = current.plan
        self.role = current.role.value

    def _sign_out_locally(self) -> None:
        self.signed_in = False
        self.user_email = self.user_name = ""
        self.org_id = self.org_name = self.org_slug = self.org_plan = self.role = ""
        self.orgs = []
        self._key_shown()

    def _login_redirect(self) -> rx.event.EventSpec:
        path = self.router.url.path.rstrip("/") or "/dashboard"
        return rx.redirect(f"/login?next={path}", replace=True)

    @rx.event
    async def switch_org(self, org_id: str) -> rx.event.EventSpec | None:
        """Show another of the user's organizations (it also opens in new tabs)."""
        token = self._session_token()
        try:
            target = uuid.UUID(org_id)
        except ValueError:
            return None
        if token is None:
            return self._login_redirect()
        viewer = await services().auth.switch_organization(token, target)
        if viewer is None:
            self._sign_out_locally()
            return self._login_redirect()
        self._apply(viewer)
        return rx.call_script("window.location.reload()")

    @rx.event
    async def check(self) -> None:
        """Find out whether the visitor is signed in, without sending them anywhere."""
        await self._ensure_viewer()

    def _note_key_showing(self, api_key: str) -> None:
        """Note that a new key is showing: the flag and its display prefix, nothing secret."""
        self.key_showing = True
        self.key_prefix = display_prefix(api_key)

    def _show_once(self, api_key: str) -> rx.event.EventSpec:
        """Note that a new key is showing; the returned event takes it to the page."""
        self._note_key_showing(api_key)
        return show_key(api_key)

    def _key_shown(self) -> rx.event.EventSpec:
        """Note that no key is showing; the returned event takes it off the page."""
        self.key_showing = False
        self.key_prefix = ""
        return forget_key()

    @rx.event
    def dismiss_key(self) -> rx.event.EventSpec:
        return self._key_shown()
