"""Three steps from sign-up to a smaller bill."""

import reflex as rx

from routerai_app.components.layout import section, section_heading

STEPS = (
    (
        "plug",
        "Point your SDK at RouterAI",
        "Set base_url to RouterAI and use a RouterAI key. Your code, prompts and SDK stay "
        "exactly as they are.",
    ),
    (
        "sliders-horizontal",
        "Choose how to route",
        "Pick a strategy (cheapest, best quality, fastest or balanced), add your provider "
        "keys, and set budgets and rate limits per team.",
    ),
    (
        "trending-down",
        "Watch the bill drop",
        "Simple prompts go to cheaper models, repeats come from your cache, outages fail "
        "over. The dashboard shows every request and what it saved.",
    ),
)


def step(number: int, icon: str, title: str, body: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.center(
                rx.text(str(number), weight="bold", size="3"),
                width="2rem",
                height="2rem",
                border_radius="50%",
                background=rx.color("accent", 9),
                color="white",
            ),
            rx.icon(icon, size=22, color=rx.color("accent", 11)),
            align="center",
            spacing="3",
        ),
        rx.heading(title, as_="h3", size="5"),
        rx.text(body, size="3", color=rx.color("gray", 11)),
        spacing="3",
        align="start",
    )


def how_it_works() -> rx.Component:
    return section(
        section_heading(
            "How it works",
            "Live in five minutes",
            "No new SDK, no rewrite: RouterAI speaks the OpenAI API.",
        ),
        rx.grid(
            *(step(number, *details) for number, details in enumerate(STEPS, start=1)),
            columns=rx.breakpoints(initial="1", md="3"),
            gap="2.5rem",
        ),
        section_id="how-it-works",
    )
