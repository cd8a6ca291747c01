"""The landing page's opening: the promise, the call to action, the one-line change."""

import reflex as rx

from routerai_app.components.code_sample import base_url_sample
from routerai_app.components.layout import link_button, section

PROMISE_LEAD = "Change one line — your "
PROMISE_TAIL = " — and cut your LLM bill"
PITCH = (
    "RouterAI is an OpenAI-compatible gateway. It sends each request to the cheapest "
    "model that can answer it well, serves repeats from your own cache, fails over when "
    "a provider breaks, and keeps every team inside its budget."
)
ASSURANCES = ("OpenAI-compatible API", "Streaming included", "Bring your own keys", "Self-hostable")


def promise() -> rx.Component:
    """The one-line promise, with `base_url` set as code."""
    return rx.heading(
        PROMISE_LEAD,
        rx.el.span("base_url", font_family="var(--code-font-family)", color=rx.color("accent", 11)),
        PROMISE_TAIL,
        as_="h1",
        size=rx.breakpoints(initial="8", md="8", xl="9"),
        text_wrap="balance",
        line_height="1.1",
        letter_spacing="-0.02em",
        id="promise",
    )


def assurance(text: str) -> rx.Component:
    return rx.hstack(
        rx.icon("circle-check", size=16, color=rx.color("grass", 10)),
        rx.text(text, size="2", color=rx.color("gray", 11)),
        align="center",
        spacing="1",
    )


def hero(base_url: str) -> rx.Component:
    """Promise and pitch beside the code sample for `base_url`; stacked on phones."""
    pitch = rx.vstack(
        rx.badge("LLM gateway for teams", variant="soft", radius="full", size="2"),
        promise(),
        rx.text(PITCH, size=rx.breakpoints(initial="3", md="4"), color=rx.color("gray", 11)),
        rx.hstack(
            link_button("Start free", "/signup", size="4"),
            link_button("See how it works", "#how-it-works", size="4", variant="outline"),
            spacing="3",
            wrap="wrap",
        ),
        rx.flex(*(assurance(text) for text in ASSURANCES), wrap="wrap", gap="0.5rem 1.25rem"),
        spacing="5",
        align="start",
    )
    return section(
        rx.grid(
            pitch,
            base_url_sample(base_url),
            grid_template_columns=rx.breakpoints(initial="1fr", md="1.1fr 1fr"),
            gap="3rem",
            align_items="center",
        ),
        section_id="top",
        background=f"radial-gradient(ellipse at top, {rx.color('accent', 3)}, transparent 70%)",
    )
