"""The frame of the sign-in, sign-up and onboarding pages: a form card beside a pitch."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.brand import brand
from routerai_app.components.layout import plain_link

POINTS = (
    ("route", "Cost-aware routing", "Each request goes to the cheapest model that does the job."),
    ("database-zap", "Your own cache", "Repeats are answered free, never shared across tenants."),
    ("shield-check", "Failover built in", "Outages and rate limits move to the next provider."),
)


def pitch() -> rx.Component:
    return rx.vstack(
        rx.heading("One base_url away from a smaller LLM bill", size="7", text_wrap="balance"),
        rx.text(
            "Keep your OpenAI SDK and your prompts. RouterAI routes, caches, fails over and "
            "shows you what every request cost, and what it saved.",
            size="3",
            color=rx.color("gray", 11),
        ),
        *(
            rx.hstack(
                rx.center(
                    rx.icon(icon, size=18),
                    width="2.25rem",
                    height="2.25rem",
                    border_radius="10px",
                    background=rx.color("accent", 3),
                    color=rx.color("accent", 11),
                    flex_shrink="0",
                ),
                rx.vstack(
                    rx.text(title, weight="bold", size="2"),
                    rx.text(body, size="2", color=rx.color("gray", 11)),
                    spacing="0",
                ),
                spacing="3",
                align="start",
            )
            for icon, title, body in POINTS
        ),
        spacing="5",
        max_width="28rem",
    )


def auth_layout(card: rx.Component) -> rx.Component:
    """The card on the left, the pitch on the right (hidden on phones)."""
    return rx.box(
        rx.hstack(
            brand(),
            rx.spacer(),
            rx.color_mode.button(variant="ghost", size="2", aria_label="Toggle dark mode"),
            align="center",
            padding=rx.breakpoints(initial="1rem 1.25rem", sm="1.25rem 2rem"),
        ),
        rx.grid(
            rx.center(card, padding=rx.breakpoints(initial="1rem", sm="2rem")),
            rx.center(
                pitch(),
                display=rx.breakpoints(initial="none", lg="flex"),
                padding="3rem",
                background=f"radial-gradient(ellipse at top left, {rx.color('accent', 3)}, "
                f"{rx.color('gray', 2)} 70%)",
                border_left=f"1px solid {rx.color('gray', 4)}",
                border_radius="16px 0 0 16px",
            ),
            grid_template_columns=rx.breakpoints(initial="1fr", lg="1fr 1fr"),
            min_height="calc(100vh - 5rem)",
        ),
        background=rx.color("gray", 1),
        min_height="100vh",
    )


def auth_card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(title, as_="h1", size="6"),
                rx.text(subtitle, size="2", color=rx.color("gray", 11)),
                spacing="1",
            ),
            *children,
            spacing="5",
            width="100%",
        ),
        size="4",
        width="100%",
        max_width="26rem",
    )


def field(
    label: str,
    name: str,
    *,
    type_: str = "text",
    placeholder: str = "",
    autocomplete: str = "",
    error: rx.Var[str] | None = None,
    hint: str = "",
) -> rx.Component:
    """A labelled input; `error` (when non-empty) shows under it in red."""
    below: list[rx.Component] = []
    if hint:
        below.append(rx.text(hint, size="1", color=rx.color("gray", 10)))
    if error is not None:
        below.append(rx.cond(error != "", rx.text(error, size="1", color=rx.color("red", 11))))
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=name),
        rx.input(
            name=name,
            id=name,
            type=type_,
            placeholder=placeholder,
            auto_complete=autocomplete,
            required=True,
            size="3",
            width="100%",
        ),
        *below,
        spacing="1",
        width="100%",
    )


def github_button(enabled: rx.Var[bool]) -> rx.Component:
    return rx.cond(
        enabled,
        rx.vstack(
            rx.hstack(
                rx.separator(size="4", flex="1"),
                rx.text("or", size="1", color=rx.color("gray", 10)),
                rx.separator(size="4", flex="1"),
                align="center",
                width="100%",
            ),
            rx.button(
                plain_link(
                    rx.icon("git-branch", size=16),
                    "Continue with GitHub",
                    href="/auth/github",
                    underline="none",
                    style={"display": "flex", "gap": "0.5rem", "alignItems": "center"},
                ),
                as_child=True,
                variant="outline",
                color_scheme="gray",
                size="3",
                width="100%",
                id="github-sign-in",
            ),
            spacing="4",
            width="100%",
        ),
    )


def switch_link(question: str, label: str, href: str) -> rx.Component:
    return rx.text(
        question,
        " ",
        plain_link(label, href=href, weight="medium"),
        size="2",
        color=rx.color("gray", 11),
        text_align="center",
        width="100%",
    )
