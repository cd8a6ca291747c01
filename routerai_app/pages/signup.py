"""`/signup`: email, password and organization name, then a confirmation mail;
`/signup/confirm`: its link creates the account, and the first key comes next."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.auth_layout import (
    auth_card,
    auth_layout,
    field,
    github_button,
    switch_link,
)
from routerai_app.state.auth import ConfirmState, SignupState

TITLE = "Create your account · RouterAI"
CONFIRM_TITLE = "Confirm your email · RouterAI"


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


def check_inbox() -> rx.Component:
    """What every sign-up sees once the form is sent, whether or not the address is known."""
    return rx.vstack(
        rx.callout(
            rx.text(
                "We sent a link to ",
                rx.text.strong(SignupState.sent_to, id="signup-sent-to"),
                ". Open it to create your organization and see your first API key.",
            ),
            icon="mail-check",
            color_scheme="green",
            size="2",
            width="100%",
            role="status",
        ),
        rx.text(
            "The link works once, for 24 hours. Nothing arrived? Check your spam folder, or "
            "send the form again.",
            size="2",
            color=rx.color("gray", 11),
        ),
        rx.button(
            "Use another address",
            on_click=SignupState.start_over,
            variant="soft",
            size="3",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def signup_page() -> rx.Component:
    return auth_layout(
        rx.cond(
            SignupState.sent_to != "",
            auth_card(
                "Check your inbox",
                "Confirm your email address to finish signing up.",
                check_inbox(),
            ),
            auth_card(
                "Create your account",
                "Confirm your email, and your organization and first API key are ready.",
                signup_form(),
                github_button(SignupState.github_enabled),
                switch_link("Already have an account?", "Log in", "/login"),
            ),
        )
    )


def confirm_page() -> rx.Component:
    """`/signup/confirm`: creating the account, or why the link no longer works."""
    return auth_layout(
        rx.cond(
            ConfirmState.error != "",
            auth_card(
                "This link cannot be used",
                "Confirmation links work once, for 24 hours.",
                rx.callout(
                    ConfirmState.error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    role="alert",
                    id="confirm-error",
                ),
                switch_link("Need a new link?", "Sign up again", "/signup"),
                switch_link("Already confirmed?", "Log in", "/login"),
            ),
            auth_card(
                "Confirming your email",
                "Creating your organization and its first API key…",
                rx.center(rx.spinner(size="3"), width="100%"),
            ),
        )
    )
