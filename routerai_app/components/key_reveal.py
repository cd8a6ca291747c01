"""A key shown once: its value, a copy button, and the warning that goes with it."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.code_block import copy_button


def key_reveal(key: rx.Var[str]) -> rx.Component:
    return rx.vstack(
        rx.callout(
            "Copy this key now. It is shown only once: RouterAI stores just its hash.",
            icon="shield-alert",
            color_scheme="amber",
            size="1",
            width="100%",
        ),
        rx.hstack(
            rx.el.code(
                key,
                id="revealed-key",
                font_family="var(--code-font-family)",
                font_size="13px",
                word_break="break-all",
                flex="1",
                min_width="0",
            ),
            copy_button(key, "Copy key", id="copy-key", flex_shrink="0"),
            align="center",
            spacing="3",
            padding="0.75rem",
            background=rx.color("gray", 2),
            border=f"1px dashed {rx.color('accent', 8)}",
            border_radius="10px",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )
