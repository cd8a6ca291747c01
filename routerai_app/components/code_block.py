"""Code panels with a copy button, and tabs of quickstart snippets."""

from __future__ import annotations

import reflex as rx

COPY_TOAST = "Copied to the clipboard"


def copy_button(text: str | rx.Var[str], label: str = "Copy", **props: object) -> rx.Component:
    """A small button that puts `text` on the clipboard and says so."""
    return rx.button(
        rx.icon("copy", size=14),
        label,
        on_click=[rx.set_clipboard(text), rx.toast.success(COPY_TOAST, position="bottom-right")],
        size="1",
        variant="soft",
        color_scheme="gray",
        type="button",
        **props,
    )


def code_panel(
    code: str | rx.Var[str], caption: str | rx.Var[str] = "", **props: object
) -> rx.Component:
    """A code block with a caption bar and a copy button; it scrolls sideways on its own."""
    return rx.box(
        rx.hstack(
            rx.text(caption, size="1", weight="medium", color=rx.color("gray", 11)),
            rx.spacer(),
            copy_button(code, aria_label="Copy code"),
            align="center",
            padding="0.5rem 0.75rem",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
        ),
        rx.el.pre(
            rx.el.code(code),
            margin="0",
            padding="1rem",
            overflow_x="auto",
            font_family="var(--code-font-family)",
            font_size="13px",
            line_height="1.6",
            color=rx.color("gray", 12),
            white_space="pre",
        ),
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="10px",
        overflow="hidden",
        min_width="0",
        width="100%",
        **props,
    )


def _filled_in(code: rx.Var[str], key: rx.Var[str], placeholder: rx.Var[str]) -> rx.Var[str]:
    return rx.cond(key != "", code.replace(placeholder, key), code).to(str)


def _snippet_content(
    snippet: rx.Var, key: rx.Var[str], key_placeholder: rx.Var[str]
) -> rx.Component:
    code = _filled_in(snippet["code"].to(str), key, key_placeholder)
    return rx.tabs.content(
        rx.vstack(
            rx.cond(
                snippet["install"] != "",
                code_panel(snippet["install"], "Install"),
            ),
            code_panel(code, snippet["label"]),
            spacing="3",
            width="100%",
        ),
        value=snippet["language"],
        padding_top="0.75rem",
        width="100%",
    )


def snippet_tabs(
    snippets: rx.Var[list[dict[str, str]]],
    *,
    key: rx.Var[str],
    key_placeholder: rx.Var[str],
    **props: object,
) -> rx.Component:
    """Python, Node.js and curl tabs, each with its install line and copyable code. The
    snippets come with `key_placeholder`; while `key` (a key just created, held by the page
    alone) is not empty, the browser writes it in its place."""
    return rx.tabs.root(
        rx.tabs.list(
            rx.foreach(
                snippets,
                lambda s: rx.tabs.trigger(s["label"], value=s["language"]),
            ),
        ),
        rx.foreach(snippets, lambda s: _snippet_content(s, key, key_placeholder)),
        default_value="python",
        width="100%",
        min_width="0",
        **props,
    )
