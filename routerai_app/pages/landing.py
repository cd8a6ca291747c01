"""The landing page at `/`: promise, how it works, features, pricing."""

import reflex as rx

from routerai_app.components.features import features
from routerai_app.components.footer import footer
from routerai_app.components.hero import hero
from routerai_app.components.how_it_works import how_it_works
from routerai_app.components.navbar import navbar
from routerai_app.components.pricing import pricing

TITLE = "RouterAI: change one line, cut your LLM bill"
DESCRIPTION = (
    "An OpenAI-compatible LLM gateway with cost-aware routing, caching, failover, "
    "budgets and usage analytics."
)


def landing_page(base_url: str) -> rx.Component:
    """The whole page; `base_url` is the gateway URL shown in the code sample."""
    return rx.box(
        navbar(),
        rx.el.main(hero(base_url), how_it_works(), features(), pricing()),
        footer(),
        width="100%",
    )
