"""`/invite`: accept an invitation to join an organization."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.auth_layout import auth_card, auth_layout
from routerai_app.state.invite import InviteState

TITLE = "Join an organization · RouterAI"


def invitation_summary() -> rx.Component:
    return rx.vstack(
        rx.text(
            "You are invited to join ",
            rx.text.strong(InviteState.invited_org, id="invited-org"),
            " as ",
            rx.text.strong(InviteState.invited_role),
            ".",
            size="3",
        ),
        rx.text(
            "The invitation is for ",
            InviteState.invited_email,
            ".",
            size="2",
            color=rx.color("gray", 11),
        ),
        spacing="2",
        width="100%",
    )


def signed_out() -> rx.Component:
    return rx.vstack(
        invitation_summary(),
        rx.text("Log in or create an account with that address to accept.", size="2"),
        rx.hstack(
            rx.link(rx.button("Log in", size="3"), href=InviteState.login_href, id="invite-login"),
            rx.link(
                rx.button("Create an account", size="3", variant="soft"),
                href=InviteState.signup_href,
                id="invite-signup",
            ),
            spacing="3",
            wrap="wrap",
        ),
        spacing="4",
        width="100%",
    )


def ready() -> rx.Component:
    return rx.vstack(
        invitation_summary(),
        rx.cond(
            InviteState.message != "",
            rx.callout(
                InviteState.message, icon="circle-alert", color_scheme="red", size="1", width="100%"
            ),
        ),
        rx.button(
            rx.cond(InviteState.busy, rx.spinner(size="1"), rx.fragment()),
            "Accept invitation",
            size="3",
            width="100%",
            on_click=InviteState.accept,
            disabled=InviteState.busy,
            id="accept-invite",
        ),
        spacing="4",
        width="100%",
    )


def refused() -> rx.Component:
    return rx.vstack(
        rx.callout(
            InviteState.message,
            icon="circle-alert",
            color_scheme="red",
            width="100%",
            id="invite-refused",
            role="alert",
        ),
        rx.link("Go to your dashboard", href="/dashboard"),
        spacing="4",
        width="100%",
    )


def failed() -> rx.Component:
    return rx.vstack(
        rx.callout(InviteState.message, icon="circle-alert", color_scheme="red", width="100%"),
        rx.button("Retry", variant="soft", on_click=InviteState.load),
        spacing="4",
        width="100%",
    )


def invite_page() -> rx.Component:
    body = rx.cond(
        InviteState.loading,
        rx.vstack(
            rx.skeleton(height="1.5rem", width="100%"),
            rx.skeleton(height="2.5rem", width="100%"),
            spacing="3",
            width="100%",
        ),
        rx.match(
            InviteState.status,
            ("signed_out", signed_out()),
            ("refused", refused()),
            ("error", failed()),
            ready(),
        ),
    )
    return auth_layout(
        auth_card("Join an organization", "Invitations work once and expire after 7 days.", body)
    )
