"""The code sample that shows the one line a customer changes."""

import reflex as rx


def _sample_lines(base_url: str) -> tuple[tuple[str, bool], ...]:
    """(line, is_the_changed_line) pairs of the sample."""
    return (
        ("from openai import OpenAI", False),
        ("", False),
        ("client = OpenAI(", False),
        (f'    base_url="{base_url}",', True),
        ('    api_key="gw_acme_prod_…",', False),
        (")", False),
        ("", False),
        ("client.chat.completions.create(", False),
        ('    model="auto",  # or any model you use today', False),
        ('    messages=[{"role": "user", "content": "Hi"}],', False),
        (")", False),
    )


def _line(text: str, changed: bool) -> rx.Component:
    return rx.el.div(
        text or " ",
        padding_x="1.25rem",
        white_space="pre",
        background=rx.color("accent", 4, alpha=True) if changed else "transparent",
        border_left=f"3px solid {rx.color('accent', 9)}" if changed else "3px solid transparent",
    )


def base_url_sample(base_url: str) -> rx.Component:
    """A small editor window with the OpenAI SDK pointed at RouterAI's `base_url`."""
    title_bar = rx.hstack(
        *(
            rx.box(width="10px", height="10px", border_radius="50%", background=rx.color(hue, 9))
            for hue in ("red", "amber", "grass")
        ),
        rx.text("app.py", size="1", color=rx.color("gray", 11), margin_left="0.5rem"),
        align="center",
        spacing="2",
        padding="0.75rem 1rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
    )
    code = rx.el.pre(
        *(_line(text, changed) for text, changed in _sample_lines(base_url)),
        font_family="var(--code-font-family)",
        font_size=rx.breakpoints(initial="12px", sm="14px"),
        line_height="1.7",
        padding_y="1rem",
        margin="0",
        overflow_x="auto",
        color=rx.color("gray", 12),
    )
    return rx.box(
        title_bar,
        code,
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="12px",
        box_shadow="0 24px 48px -24px rgba(0, 0, 0, 0.35)",
        overflow="hidden",
        min_width="0",
    )
