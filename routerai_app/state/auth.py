"""The sign-in and sign-up forms, and the sign-up confirmation link.

A sign-up form sends a confirmation mail and says so, whatever the address; the link in
the mail creates the account. On sign-in, or on a confirmed sign-up, the handler creates
the server-side session, then sends the browser to
`/auth/session` with a single-use hand-off code: only that HTTP response can set the
HttpOnly cookie. Failures show one message and leave the form as it was.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from gateway.auth.accounts import SignUpError
from gateway.billing.catalog import is_self_serve
from gateway.billing.plans import Plan, PlanName, get_plan
from routerai_app.auth_routes import safe_next
from routerai_app.backend import services
from routerai_app.reveal import carry_key_then_go
from routerai_app.state.session import SessionState

LOGIN_ERRORS = {
    "expired": "That sign-in link expired. Please log in again.",
    "github": "Signing in with GitHub did not complete. Please try again.",
    "github_conflict": "An account with your GitHub email already exists. "
    "Log in with your password.",
}


def _hand_off_url(code: str, next_path: str) -> str:
    return "/auth/session?" + urlencode({"code": code, "next": next_path})


def _hand_off(code: str, next_path: str) -> rx.event.EventSpec:
    return rx.call_script(f"window.location.replace({json.dumps(_hand_off_url(code, next_path))})")


class LoginState(rx.State):
    error: str = ""
    notice: str = ""
    loading: bool = False
    next_path: str = "/dashboard"
    github_enabled: bool = False

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        params = self.router.url.query_parameters
        self.error = LOGIN_ERRORS.get(params.get("error", ""), "")
        self.notice = "You have been signed out." if params.get("signed_out") else ""
        self.next_path = safe_next(params.get("next"))
        self.github_enabled = services().github is not None
        self.loading = False
        session = await self.get_state(SessionState)
        if await session._ensure_viewer() is not None:
            return rx.redirect(self.next_path, replace=True)
        return None

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        self.error = self.notice = ""
        yield None
        result = await services().auth.log_in(
            str(form.get("email", "")),
            str(form.get("password", "")),
            self.router.session.client_ip,
        )
        if result.token is None:
            self.error = result.error or "Sign-in failed."
            self.loading = False
            return
        code = await services().auth.sessions.issue_handoff(result.token)
        yield _hand_off(code, self.next_path)


def chosen_plan(name: str | None) -> Plan | None:
    """The plan a visitor picked on the pricing table, when it is one bought through
    Checkout (Free needs nothing, Enterprise is sold by contact)."""
    try:
        plan = get_plan(name or "")
    except ValueError:
        return None
    return plan if is_self_serve(plan) else None


def plan_note(chosen: Plan | None) -> str:
    """The line under the sign-up button: what the new account starts on."""
    if chosen is None:
        free = get_plan(PlanName.FREE)
        return f"{free.title} plan: {free.included_tokens or 0:,} tokens a month, no card needed."
    return (
        f"You chose {chosen.title} (${chosen.monthly_price_usd:,}/month): your account "
        "starts on Free, and the next step offers the upgrade."
    )


class SignupState(rx.State):
    field_errors: dict[str, str] = {}
    error: str = ""
    loading: bool = False
    # The paid plan chosen on the pricing table, offered after sign-up ("" for Free).
    plan: str = ""
    plan_note: str = plan_note(None)
    github_enabled: bool = False
    # Where to go once signed up: the onboarding, or back to an invitation being accepted.
    next_path: str = "/onboarding"
    # The address the confirmation link went to, once the form is sent ("" before).
    sent_to: str = ""

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        params = self.router.url.query_parameters
        chosen = chosen_plan(params.get("plan"))
        self.plan = chosen.name.value if chosen else ""
        self.plan_note = plan_note(chosen)
        onboarding = f"/onboarding?plan={self.plan}" if self.plan else "/onboarding"
        self.next_path = safe_next(params.get("next"), onboarding)
        self.field_errors = {}
        self.error = ""
        self.sent_to = ""
        self.loading = False
        self.github_enabled = services().github is not None
        session = await self.get_state(SessionState)
        if await session._ensure_viewer() is not None:
            return rx.redirect("/dashboard", replace=True)
        return None

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[None]:
        self.loading = True
        self.field_errors = {}
        self.error = ""
        yield None
        try:
            self.sent_to = await services().auth.request_sign_up(
                str(form.get("email", "")),
                str(form.get("password", "")),
                str(form.get("org_name", "")),
                self.router.session.client_ip,
                self.next_path,
            )
        except SignUpError as exc:
            if exc.field == "form":
                self.error = exc.message
            else:
                self.field_errors = {exc.field: exc.message}
        self.loading = False

    @rx.event
    def start_over(self) -> None:
        """Back to the form (a typo in the address, say)."""
        self.sent_to = ""


class ConfirmState(rx.State):
    """`/signup/confirm?token=…`: the link from the confirmation mail creates the account."""

    error: str = ""

    @rx.event
    async def load(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.error = ""
        token = self.router.url.query_parameters.get("token", "")
        try:
            created, session_token, next_path = await services().auth.confirm_sign_up(token)
        except SignUpError as exc:
            self.error = exc.message
            return
        session = await self.get_state(SessionState)
        session.org_id = str(created.org_id)
        session._note_key_showing(created.api_key)  # the key itself rides the hand-off
        code = await services().auth.sessions.issue_handoff(session_token)
        yield carry_key_then_go(created.api_key, _hand_off_url(code, next_path))
