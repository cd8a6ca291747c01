"""`/onboarding`: the organization (named here by GitHub newcomers), its first key, and
the snippet for a first request."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.brand import brand
from routerai_app.components.code_block import snippet_tabs
from routerai_app.components.key_reveal import key_reveal, shown_key
from routerai_app.state.onboarding import OnboardingState

TITLE = "Get started · RouterAI"


def step(number: str, title: str, *body: rx.Component, done: bool = False) -> rx.Component:
    marker = rx.center(
        rx.icon("check", size=14) if done else rx.text(number, size="1", weight="bold"),
        width="1.75rem",
        height="1.75rem",
        border_radius="50%",
        background=rx.color("grass", 9) if done else rx.color("accent", 9),
        color="white",
        flex_shrink="0",
    )
    return rx.hstack(
        marker,
        rx.vstack(
            rx.heading(title, as_="h2", size="4"), *body, spacing="3", width="100%", min_width="0"
        ),
        spacing="4",
        align="start",
        width="100%",
    )


def org_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Name your organization", as_="h1", size="6"),
                rx.text(
                    "Teammates, keys, budgets and usage all belong to an organization.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                rx.input(
                    name="org_name",
                    placeholder="Acme Inc.",
                    required=True,
                    size="3",
                    width="100%",
                    aria_label="Organization name",
                ),
                rx.cond(
                    OnboardingState.error != "",
                    rx.text(
                        OnboardingState.error, size="2", color=rx.color("red", 11), role="alert"
                    ),
                ),
                rx.button(
                    rx.cond(OnboardingState.creating, rx.spinner(size="2"), rx.fragment()),
                    "Create organization",
                    type="submit",
                    size="3",
                    disabled=OnboardingState.creating | ~OnboardingState.is_hydrated,
                    id="create-org",
                ),
                spacing="4",
                align="start",
            ),
            on_submit=OnboardingState.create_org,
            reset_on_submit=False,
        ),
        size="4",
        width="100%",
    )


def first_key_steps() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.badge("Welcome to RouterAI", variant="soft", radius="full"),
                rx.heading("You're ready to send your first request", as_="h1", size="6"),
                spacing="2",
            ),
            step(
                "1",
                "Organization created",
                rx.text(
                    OnboardingState.org_name,
                    " is on the Free plan, and you are its owner.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                done=True,
            ),
            step("2", "Copy your API key", key_reveal(OnboardingState.key_prefix)),
            step(
                "3",
                "Make your first request",
                rx.text(
                    "Use the official OpenAI SDK: only the base URL and the key change.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                snippet_tabs(
                    OnboardingState.snippets,
                    key=shown_key(),
                    key_placeholder=OnboardingState.key_placeholder,
                ),
            ),
            rx.hstack(
                rx.cond(
                    OnboardingState.chosen_plan != "",
                    rx.button(
                        "Upgrade to ",
                        OnboardingState.chosen_plan_title,
                        on_click=OnboardingState.upgrade,
                        size="3",
                        variant="outline",
                        id="upgrade-chosen-plan",
                    ),
                ),
                rx.button(
                    "Go to the dashboard",
                    rx.icon("arrow-right", size=16),
                    on_click=OnboardingState.finish,
                    size="3",
                    id="go-to-dashboard",
                ),
                spacing="3",
                wrap="wrap",
                justify="end",
                width="100%",
            ),
            spacing="6",
            width="100%",
        ),
        size="4",
        width="100%",
    )


def key_already_shown() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Your organization is ready", as_="h1", size="6"),
            rx.text(
                "Its first key was shown once. Create as many more as you need on the API "
                "keys page.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.hstack(
                rx.button("Open the dashboard", on_click=OnboardingState.finish, size="3"),
                rx.button(
                    "Manage keys",
                    on_click=rx.redirect("/dashboard/keys"),
                    size="3",
                    variant="outline",
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="4",
        ),
        size="4",
        width="100%",
    )


def onboarding_page() -> rx.Component:
    body = rx.cond(
        OnboardingState.loading,
        rx.center(rx.spinner(size="3"), padding="4rem"),
        rx.cond(
            OnboardingState.needs_org,
            org_form(),
            rx.cond(OnboardingState.key_showing, first_key_steps(), key_already_shown()),
        ),
    )
    return rx.box(
        rx.hstack(
            brand(),
            rx.spacer(),
            rx.color_mode.button(variant="ghost", size="2", aria_label="Toggle dark mode"),
            align="center",
            padding=rx.breakpoints(initial="1rem 1.25rem", sm="1.25rem 2rem"),
        ),
        rx.box(
            body,
            max_width="46rem",
            margin_x="auto",
            padding=rx.breakpoints(initial="1rem", sm="2rem"),
        ),
        min_height="100vh",
        background=f"radial-gradient(ellipse at top, {rx.color('accent', 3)}, "
        f"{rx.color('gray', 1)} 60%)",
    )
