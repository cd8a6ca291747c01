"""`/pricing`: the plans as cards, then every allowance side by side, then questions."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.footer import footer
from routerai_app.components.layout import section, section_heading
from routerai_app.components.navbar import navbar
from routerai_app.components.plan_comparison import comparison_table
from routerai_app.components.pricing import plan_cards

TITLE = "Pricing · RouterAI"
DESCRIPTION = "RouterAI plans: start free, pay less than you save."
QUESTIONS = (
    (
        "What counts as a token?",
        "Prompt and completion tokens of every request RouterAI forwards, counted with the "
        "model's own tokenizer. Answers from your cache cost no provider tokens.",
    ),
    (
        "What happens when I reach my plan's tokens?",
        "On Free, requests stop until the next month: there is never a surprise bill. Paid "
        "plans continue at the per-million rate shown above.",
    ),
    (
        "Do I need my own provider keys?",
        "On Free and Starter, yes: add your OpenAI, Anthropic, Groq or Together keys, "
        "encrypted at rest. From Growth up you can also use RouterAI's platform keys.",
    ),
    (
        "Can I change plans later?",
        "Any time. Limits follow the new plan within a second on every gateway process.",
    ),
)


def question(title: str, answer: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h3", size="3"),
        rx.text(answer, size="2", color=rx.color("gray", 11)),
        spacing="2",
    )


def pricing_page() -> rx.Component:
    return rx.box(
        navbar(),
        rx.el.main(
            section(
                section_heading(
                    "Pricing",
                    "Simple plans that pay for themselves",
                    "Every plan includes routing, failover, budgets and the dashboard.",
                ),
                plan_cards(),
                section_id="plans",
            ),
            section(
                rx.heading("Compare plans", as_="h2", size="6", margin_bottom="1.5rem"),
                comparison_table(),
                section_id="compare",
                background=rx.color("gray", 2),
            ),
            section(
                rx.heading("Questions", as_="h2", size="6", margin_bottom="1.5rem"),
                rx.grid(
                    *(question(title, answer) for title, answer in QUESTIONS),
                    columns=rx.breakpoints(initial="1", md="2"),
                    gap="2rem",
                ),
                section_id="faq",
            ),
        ),
        footer(),
        width="100%",
    )
