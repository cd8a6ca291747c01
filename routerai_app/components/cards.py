"""The dashboard's figure cards: one number with its label and detail, and one chart."""

from __future__ import annotations

import reflex as rx

PLOT_CONFIG = {"displayModeBar": False, "responsive": True}


def stat_card(card: rx.Var, id_prefix: str) -> rx.Component:
    """A {label, value, detail, key} figure; its value's id is `id_prefix` + key."""
    return rx.card(
        rx.vstack(
            rx.text(card["label"], size="2", color=rx.color("gray", 11), weight="medium"),
            rx.text(
                card["value"],
                size=rx.breakpoints(initial="6", sm="7"),
                weight="bold",
                id=id_prefix + card["key"].to(str),
            ),
            rx.text(card["detail"], size="1", color=rx.color("gray", 10)),
            spacing="1",
        ),
        size="2",
        min_width="0",
    )


def chart_card(
    title: str,
    subtitle: str,
    figure: rx.Var,
    *,
    when_empty: rx.Component | None = None,
    has_data: rx.Var | None = None,
) -> rx.Component:
    """A titled plotly chart; with `has_data` false, `when_empty` shows instead."""
    plot = rx.box(
        rx.plotly.basic(data=figure, config=PLOT_CONFIG, use_resize_handler=True, width="100%"),
        width="100%",
        min_width="0",
    )
    body = plot if has_data is None or when_empty is None else rx.cond(has_data, plot, when_empty)
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(title, as_="h2", size="3"),
                rx.text(subtitle, size="1", color=rx.color("gray", 10)),
                spacing="0",
            ),
            body,
            spacing="3",
            width="100%",
        ),
        size="2",
        min_width="0",
    )
