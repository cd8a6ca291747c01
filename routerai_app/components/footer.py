"""The site footer."""

import reflex as rx

from routerai_app.components.brand import brand
from routerai_app.components.layout import CONTENT_WIDTH, plain_link


def footer() -> rx.Component:
    links = rx.hstack(
        plain_link("Pricing", href="/pricing", color=rx.color("gray", 11), size="2"),
        plain_link("Docs", href="/docs", color=rx.color("gray", 11), size="2"),
        plain_link("Log in", href="/login", color=rx.color("gray", 11), size="2"),
        plain_link(
            "API status", href="/health", color=rx.color("gray", 11), size="2", id="health-link"
        ),
        spacing="5",
        wrap="wrap",
    )
    return rx.el.footer(
        rx.flex(
            rx.vstack(
                brand(),
                rx.text(
                    "The LLM gateway that pays for itself.", size="2", color=rx.color("gray", 11)
                ),
                spacing="2",
            ),
            links,
            direction=rx.breakpoints(initial="column", sm="row"),
            justify="between",
            align=rx.breakpoints(initial="start", sm="center"),
            gap="1.5rem",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            width="100%",
        ),
        padding_x=rx.breakpoints(initial="1.25rem", sm="2rem"),
        padding_y="2.5rem",
        border_top=f"1px solid {rx.color('gray', 4)}",
    )
