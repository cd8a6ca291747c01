"""What the gateway does for a team, as a grid of cards."""

import reflex as rx

from routerai_app.components.layout import section, section_heading

FEATURES = (
    (
        "route",
        "Cost-aware routing",
        "Each request is classified and sent to the provider and model that fit your "
        "strategy, or to the exact model you asked for.",
    ),
    (
        "database-zap",
        "Exact and semantic caching",
        "Repeated and near-identical prompts are answered from your organization's own "
        "cache, streams included. Never shared across tenants.",
    ),
    (
        "shield-check",
        "Automatic failover",
        "Timeouts, rate limits and outages move the request to the next candidate; a "
        "circuit breaker keeps a failing provider out of the way.",
    ),
    (
        "gauge",
        "Budgets and rate limits",
        "Monthly token and dollar caps, requests and tokens per minute, per organization "
        "and per key, enforced before a request is sent.",
    ),
    (
        "key-round",
        "Bring your own keys",
        "Use your provider contracts with keys encrypted at rest, or our platform keys on "
        "Growth and above.",
    ),
    (
        "chart-column",
        "Usage analytics",
        "Spend, savings, latency and cache hits by day, provider, model and key, ready "
        "for your finance team.",
    ),
)


def feature_card(icon: str, title: str, body: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=20),
                width="2.5rem",
                height="2.5rem",
                border_radius="10px",
                background=rx.color("accent", 3),
                color=rx.color("accent", 11),
            ),
            rx.heading(title, as_="h3", size="4"),
            rx.text(body, size="2", color=rx.color("gray", 11)),
            spacing="3",
            align="start",
        ),
        size="3",
    )


def features() -> rx.Component:
    return section(
        section_heading(
            "Features",
            "Everything between your app and the models",
            "One gateway for routing, caching, limits and spend.",
        ),
        rx.grid(
            *(feature_card(*feature) for feature in FEATURES),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            gap="1.25rem",
        ),
        section_id="features",
        background=rx.color("gray", 2),
    )
