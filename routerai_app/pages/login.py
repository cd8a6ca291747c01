"""`/login`: email and password (or GitHub), one generic message on failure."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.auth_layout import (
    auth_card,
    auth_layout,
    field,
    github_button,
    switch_link,
)
from routerai_app.state.auth import LoginState

TITLE = "Log in · RouterAI"


def login_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                LoginState.notice != "",
                rx.callout(LoginState.notice, icon="info", size="1", width="100%"),
            ),
            rx.cond(
                LoginState.error != "",
                rx.callout(
                    LoginState.error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    id="login-error",
                    role="alert",
                ),
            ),
            field(
                "Email", "email", type_="email", placeholder="you@company.com", autocomplete="email"
            ),
            field("Password", "password", type_="password", autocomplete="current-password"),
            rx.button(
                rx.cond(LoginState.loading, rx.spinner(size="2"), rx.fragment()),
                "Log in",
                type="submit",
                size="3",
                width="100%",
                disabled=LoginState.loading | ~LoginState.is_hydrated,
                id="login-submit",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=LoginState.submit,
        reset_on_submit=False,
        width="100%",
    )


def login_page() -> rx.Component:
    return auth_layout(
        auth_card(
            "Welcome back",
            "Log in to see your traffic, spend and keys.",
            login_form(),
            github_button(LoginState.github_enabled),
            switch_link("New to RouterAI?", "Create an account", "/signup"),
        )
    )
