"""The RouterAI word mark."""

import reflex as rx


def brand() -> rx.Component:
    """Logo tile and product name, linking home."""
    return rx.el.a(
        rx.hstack(
            rx.center(
                rx.icon("route", size=18, color="white"),
                background=f"linear-gradient(135deg, {rx.color('accent', 9)}, "
                f"{rx.color('cyan', 9)})",
                border_radius="8px",
                width="32px",
                height="32px",
            ),
            rx.text("RouterAI", size="5", weight="bold", color=rx.color("gray", 12)),
            align="center",
            spacing="2",
        ),
        href="/",
        aria_label="RouterAI home",
        text_decoration="none",
    )
