"""`/dashboard`: the current organization's traffic, spend, savings and health, live."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.cards import chart_card
from routerai_app.components.code_block import snippet_tabs
from routerai_app.components.key_reveal import shown_key
from routerai_app.components.shell import dashboard_shell
from routerai_app.state.overview import REFRESH_MS, OverviewState

TITLE = "Overview · RouterAI"
RANGE_LABELS = (("today", "Today"), ("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"))


def range_picker() -> rx.Component:
    return rx.segmented_control.root(
        *(rx.segmented_control.item(label, value=value) for value, label in RANGE_LABELS),
        value=OverviewState.range_name,
        on_change=OverviewState.set_range,
        size="2",
        id="range-picker",
    )


def live_badge() -> rx.Component:
    return rx.hstack(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background=rx.cond(
                OverviewState.error != "", rx.color("amber", 9), rx.color("grass", 9)
            ),
            class_name="live-dot",
        ),
        rx.text(
            rx.cond(OverviewState.error != "", "Reconnecting", "Live"),
            " · updated ",
            OverviewState.updated_at,
            size="1",
            color=rx.color("gray", 11),
        ),
        align="center",
        spacing="2",
    )


def kpi_card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(card["label"], size="2", color=rx.color("gray", 11), weight="medium"),
                rx.spacer(),
                rx.icon(card["icon"], size=16, color=rx.color("gray", 10)),
                width="100%",
                align="center",
            ),
            rx.text(
                card["value"],
                size=rx.breakpoints(initial="6", sm="7"),
                weight="bold",
                class_name="kpi-value",
                id="kpi-" + card["key"],
            ),
            rx.text(card["detail"], size="1", color=rx.color("gray", 10), trim="end"),
            spacing="1",
        ),
        size="2",
    )


def charts() -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(OverviewState.cards, kpi_card),
            columns=rx.breakpoints(initial="2", md="4"),
            gap="1rem",
            width="100%",
        ),
        rx.grid(
            chart_card(
                "Requests", "Answered, from cache, and failed, per day", OverviewState.traffic
            ),
            chart_card(
                "Spend vs. baseline",
                "The shaded gap is what routing and caching saved",
                OverviewState.spend,
            ),
            chart_card("Top models", "By requests in the range", OverviewState.models),
            chart_card("Top providers", "By requests in the range", OverviewState.providers),
            columns=rx.breakpoints(initial="1", lg="2"),
            gap="1rem",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon("send", size=22),
                width="3rem",
                height="3rem",
                border_radius="12px",
                background=rx.color("accent", 3),
                color=rx.color("accent", 11),
            ),
            rx.heading("Send your first request", as_="h2", size="5"),
            rx.text(
                "No traffic in this range yet. Run one of these with your key; this page "
                "updates by itself within seconds.",
                size="2",
                color=rx.color("gray", 11),
            ),
            snippet_tabs(
                OverviewState.first_request,
                key=shown_key(),
                key_placeholder=OverviewState.key_placeholder,
            ),
            rx.hstack(
                rx.link("Manage API keys", href="/dashboard/keys", size="2"),
                rx.text("·", color=rx.color("gray", 9)),
                rx.link("Read the docs", href="/docs", size="2"),
                spacing="2",
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        id="empty-state",
        width="100%",
    )


def overview_page() -> rx.Component:
    body = rx.cond(
        OverviewState.loading,
        rx.grid(
            *(rx.skeleton(height="6.5rem") for _ in range(8)),
            columns=rx.breakpoints(initial="2", md="4"),
            gap="1rem",
            width="100%",
        ),
        rx.cond(OverviewState.has_traffic, charts(), empty_state()),
    )
    return dashboard_shell(
        "overview",
        "Overview",
        "Traffic, spend and savings for your organization",
        rx.hstack(
            range_picker(),
            rx.spacer(),
            live_badge(),
            width="100%",
            align="center",
            wrap="wrap",
            gap="0.75rem",
        ),
        rx.cond(
            OverviewState.error != "",
            rx.callout(
                OverviewState.error, icon="wifi-off", color_scheme="amber", size="1", width="100%"
            ),
        ),
        body,
        rx.moment(
            interval=REFRESH_MS, format="HH:mm:ss", on_change=OverviewState.tick, display="none"
        ),
    )
