"""`/dashboard/cache`: how the cache performs, its settings, and clearing it."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.cards import chart_card, stat_card
from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.cache import CacheState

TITLE = "Cache · RouterAI"


def no_hits() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("database-zap", size=24, color=rx.color("gray", 10)),
            rx.text("No cache hits in the last 14 days", size="2", weight="medium"),
            rx.text(
                "An identical request (temperature at most your limit) is answered from the "
                "cache the second time.",
                size="1",
                color=rx.color("gray", 11),
                text_align="center",
            ),
            align="center",
            spacing="2",
        ),
        height="150px",
        id="cache-empty",
    )


def figures() -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(CacheState.cards, lambda card: stat_card(card, "cache-")),
            columns=rx.breakpoints(initial="2", md="4"),
            gap="1rem",
            width="100%",
            id="cache-stats",
        ),
        rx.grid(
            chart_card(
                "Hit rate",
                "Share of cacheable requests answered from the cache, per day",
                CacheState.hit_rate,
            ),
            chart_card(
                "Hits by tier",
                "Exact matches and paraphrases (semantic) over the last 14 days",
                CacheState.tiers,
                has_data=CacheState.has_hits,
                when_empty=no_hits(),
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            gap="1rem",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def field(label: str, hint: str | rx.Var, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color=rx.color("gray", 11)),
        spacing="2",
        width="100%",
    )


def settings_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Settings", as_="h2", size="3"),
            rx.callout(CacheState.tier_note, icon="info", size="1", width="100%", id="tier-note"),
            rx.flex(
                rx.switch(
                    checked=CacheState.enabled,
                    on_change=CacheState.set_enabled,
                    disabled=CacheState.locked,
                    id="cache-enabled",
                ),
                rx.el.label(rx.text("Cache answers", size="2"), html_for="cache-enabled"),
                gap="0.75rem",
                align="center",
            ),
            field(
                "Similarity threshold",
                rx.cond(
                    CacheState.semantic,
                    "How alike a paraphrase must be to reuse an answer. Higher is stricter.",
                    "Used by semantic matching, from the Growth plan.",
                ),
                rx.hstack(
                    rx.slider(
                        value=[CacheState.threshold],
                        min=80,
                        max=99,
                        step=1,
                        on_change=CacheState.set_threshold,
                        disabled=CacheState.locked | ~CacheState.semantic,
                        aria_label="Similarity threshold",
                        id="cache-threshold",
                    ),
                    rx.text("0.", CacheState.threshold, size="2", min_width="2.5rem"),
                    width="100%",
                    align="center",
                    spacing="3",
                ),
            ),
            field(
                "Time to live",
                "How long an answer stays cached.",
                rx.select.root(
                    rx.select.trigger(width="100%", max_width="16rem", id="cache-ttl"),
                    rx.select.content(
                        rx.foreach(
                            CacheState.ttl_choices,
                            lambda item: rx.select.item(item[1], value=item[0]),
                        )
                    ),
                    value=CacheState.ttl,
                    on_change=CacheState.set_ttl,
                    disabled=CacheState.locked,
                ),
            ),
            field(
                "Temperature limit",
                "Requests with a higher temperature (none sent counts as 1) are not cached.",
                rx.hstack(
                    rx.slider(
                        value=[CacheState.max_temperature],
                        min=0,
                        max=2,
                        step=0.1,
                        on_change=CacheState.set_max_temperature,
                        disabled=CacheState.locked,
                        aria_label="Temperature limit",
                        id="cache-temperature",
                    ),
                    rx.text(CacheState.max_temperature, size="2", min_width="2.5rem"),
                    width="100%",
                    align="center",
                    spacing="3",
                ),
            ),
            rx.cond(
                CacheState.form_error != "",
                rx.callout(
                    CacheState.form_error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                ),
            ),
            rx.cond(
                CacheState.can_configure,
                rx.hstack(
                    rx.button(
                        rx.cond(CacheState.busy, rx.spinner(size="1"), rx.icon("save", size=14)),
                        "Save settings",
                        on_click=CacheState.save,
                        disabled=~CacheState.dirty | CacheState.busy,
                        id="cache-save",
                    ),
                    justify="end",
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        size="2",
        width="100%",
        id="cache-settings",
    )


def clear_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Clear the cache?"),
            rx.alert_dialog.description(
                "Every cached answer of this organization is removed, on every gateway "
                "process. The next requests go to the providers and are billed as usual.",
                size="2",
            ),
            rx.cond(
                CacheState.clear_error != "",
                rx.callout(
                    CacheState.clear_error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    margin_top="1rem",
                ),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    rx.cond(CacheState.busy, rx.spinner(size="1"), rx.fragment()),
                    "Clear cache",
                    color_scheme="red",
                    on_click=CacheState.clear,
                    disabled=CacheState.busy,
                    id="confirm-clear",
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
            max_width="28rem",
        ),
        open=CacheState.confirm_open,
        on_open_change=CacheState.close_confirm,
    )


def cache_page() -> rx.Component:
    clear_button = rx.cond(
        CacheState.can_configure,
        rx.button(
            rx.icon("trash-2", size=16),
            "Clear cache",
            color_scheme="red",
            variant="soft",
            on_click=CacheState.open_confirm,
            disabled=CacheState.busy,
            id="clear-cache",
        ),
    )
    viewer_note = rx.cond(
        ~CacheState.can_configure,
        rx.callout(
            "You have read-only access here: admins and owners change or clear the cache.",
            icon="eye",
            size="1",
            width="100%",
            id="viewer-note",
        ),
    )
    error = load_error(CacheState.error, CacheState.retry)
    body = rx.cond(
        CacheState.loading,
        rx.vstack(
            rx.grid(
                *(rx.skeleton(height="6rem") for _ in range(4)),
                columns=rx.breakpoints(initial="2", md="4"),
                gap="1rem",
                width="100%",
            ),
            rx.skeleton(height="18rem", width="100%"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            CacheState.error != "",
            error,
            rx.vstack(figures(), settings_card(), spacing="4", width="100%"),
        ),
    )
    return dashboard_shell(
        "cache",
        "Cache",
        "Answers reused from your organization's own cache, at no provider cost.",
        viewer_note,
        body,
        clear_dialog(),
        actions=clear_button,
    )
