"""A key shown once: its value, a copy button, and the warning that goes with it.

The value is the page's own (`routerai_app.reveal`), never a state var, and it shows only
while the tab's state says a key is showing. Once the page is reloaded it is gone, and
the panel says which key it was instead.
"""

from __future__ import annotations

import reflex as rx

from routerai_app.components.code_block import copy_button
from routerai_app.reveal import REVEALED_KEY
from routerai_app.state.session import SessionState


def shown_key() -> rx.Var[str]:
    """The key this page is showing once, or "" (rendered in the browser only)."""
    return rx.cond(SessionState.key_showing, REVEALED_KEY.value.to(str), "").to(str)


def key_reveal(prefix: rx.Var[str]) -> rx.Component:
    """The key on show, or, once this page no longer holds it, which key it was."""
    return rx.cond(shown_key() != "", _key_panel(), _key_gone(prefix))


def _key_panel() -> rx.Component:
    key = shown_key()
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


def _key_gone(prefix: rx.Var[str]) -> rx.Component:
    return rx.callout(
        rx.text(
            "The key ",
            rx.code(prefix),
            " was shown once, and this page no longer holds it: RouterAI stores just its "
            "hash. If you did not copy it, revoke it on the API keys page and create another.",
        ),
        icon="key-round",
        color_scheme="gray",
        size="1",
        width="100%",
        id="revealed-key-gone",
    )
