"""The marketing site's top bar."""

import reflex as rx

from routerai_app.components.brand import brand
from routerai_app.components.layout import CONTENT_WIDTH, link_button, plain_link
from routerai_app.state.session import SessionState

LINKS = (("Features", "/#features"), ("Pricing", "/pricing"), ("Docs", "/docs"))


def navbar() -> rx.Component:
    """Brand, site links (hidden on phones), theme switch, and sign-in or dashboard."""
    links = rx.hstack(
        *(
            plain_link(label, href=href, color=rx.color("gray", 11), size="2", weight="medium")
            for label, href in LINKS
        ),
        spacing="6",
        display=rx.breakpoints(initial="none", sm="flex"),
    )
    account = rx.cond(
        SessionState.signed_in,
        link_button("Dashboard", "/dashboard", size="2"),
        rx.hstack(
            rx.box(
                link_button("Log in", "/login", size="2", variant="ghost"),
                display=rx.breakpoints(initial="none", sm="block"),
            ),
            link_button("Get started", "/signup", size="2"),
            spacing="3",
            align="center",
        ),
    )
    return rx.el.header(
        rx.hstack(
            brand(),
            rx.spacer(),
            links,
            rx.color_mode.button(variant="ghost", size="2", aria_label="Toggle dark mode"),
            account,
            align="center",
            spacing=rx.breakpoints(initial="3", sm="5"),
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            width="100%",
        ),
        position="sticky",
        top="0",
        z_index="10",
        padding_x=rx.breakpoints(initial="1.25rem", sm="2rem"),
        padding_y="0.875rem",
        background=rx.color("gray", 1, alpha=True),
        backdrop_filter="blur(12px)",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )
