"""`/signup`: email, password and organization name; the first key comes next."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.auth_layout import (
    auth_card,
    auth_layout,
    field,
    github_button,
    switch_link,
)
from routerai_app.state.auth import SignupState

TITLE = "Create your account · RouterAI"


def signup_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                SignupState.error != "",
                rx.callout(
                    SignupState.error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    role="alert",
                ),
            ),
            field(
                "Work email",
                "email",
                type_="email",
                placeholder="you@company.com",
                autocomplete="email",
                error=SignupState.field_errors.get("email", ""),
            ),
            field(
                "Password",
                "password",
                type_="password",
                autocomplete="new-password",
                hint="At least 10 characters.",
                error=SignupState.field_errors.get("password", ""),
            ),
            field(
                "Organization name",
                "org_name",
                placeholder="Acme Inc.",
                autocomplete="organization",
                error=SignupState.field_errors.get("org_name", ""),
            ),
            rx.button(
                rx.cond(SignupState.loading, rx.spinner(size="2"), rx.fragment()),
                "Create account",
                type="submit",
                size="3",
                width="100%",
                disabled=SignupState.loading | ~SignupState.is_hydrated,
                id="signup-submit",
            ),
            rx.text(
                SignupState.plan_note,
                id="signup-plan-note",
                size="1",
                color=rx.color("gray", 10),
                text_align="center",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=SignupState.submit,
        reset_on_submit=False,
        width="100%",
    )


def signup_page() -> rx.Component:
    return auth_layout(
        auth_card(
            "Create your account",
            "Your organization and first API key are ready in seconds.",
            signup_form(),
            github_button(SignupState.github_enabled),
            switch_link("Already have an account?", "Log in", "/login"),
        )
    )
