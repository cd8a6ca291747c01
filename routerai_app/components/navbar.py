"""The marketing site's top bar."""

import reflex as rx

from routerai_app.components.brand import brand
from routerai_app.components.layout import CONTENT_WIDTH, link_button, plain_link

SECTIONS = (("How it works", "#how-it-works"), ("Features", "#features"), ("Pricing", "#pricing"))


def navbar() -> rx.Component:
    """Brand, in-page section links (hidden on phones), theme switch, call to action."""
    links = rx.hstack(
        *(
            plain_link(label, href=href, color=rx.color("gray", 11), size="2", weight="medium")
            for label, href in SECTIONS
        ),
        spacing="6",
        display=rx.breakpoints(initial="none", sm="flex"),
    )
    return rx.el.header(
        rx.hstack(
            brand(),
            rx.spacer(),
            links,
            rx.color_mode.button(variant="ghost", size="2", aria_label="Toggle dark mode"),
            link_button("Get started", "#pricing", size="2"),
            align="center",
            spacing="5",
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
