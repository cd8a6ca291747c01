"""`/dashboard/routing`: the strategy, its weights, allow-lists, and a preview of a draft."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.routing import RoutingState

TITLE = "Routing · RouterAI"
STRATEGIES = (
    ("cost", "Cost", "The cheapest model that fits the request", "piggy-bank"),
    ("quality", "Quality", "The strongest model, whatever it costs", "sparkles"),
    ("latency", "Latency", "The fastest provider right now", "zap"),
    ("balanced", "Balanced", "A mix of the three", "scale"),
    ("custom", "Custom", "Your own weights (Scale plan and up)", "sliders-horizontal"),
)
WEIGHTS = (
    ("cost", "Cost", RoutingState.w_cost),
    ("quality", "Quality", RoutingState.w_quality),
    ("latency", "Latency", RoutingState.w_latency),
)


def section(title: str, subtitle: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(title, as_="h2", size="3"),
                rx.text(subtitle, size="1", color=rx.color("gray", 11)),
                spacing="1",
            ),
            *children,
            spacing="4",
            width="100%",
        ),
        size="2",
        width="100%",
        **props,
    )


def strategy_card(value: str, label: str, detail: str, icon: str) -> rx.Component:
    return rx.radio_cards.item(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.vstack(
                rx.text(label, size="2", weight="medium"),
                rx.text(detail, size="1", color=rx.color("gray", 11)),
                spacing="0",
                align="start",
            ),
            spacing="3",
            align="center",
            width="100%",
        ),
        value=value,
        disabled=(RoutingState.locked | ~RoutingState.custom_allowed)
        if value == "custom"
        else RoutingState.locked,
        id=f"strategy-{value}",
    )


def strategy_section() -> rx.Component:
    return section(
        "Strategy",
        'How the router ranks the eligible models when a request asks for model "auto".',
        rx.radio_cards.root(
            *(strategy_card(*item) for item in STRATEGIES),
            value=RoutingState.strategy,
            on_value_change=RoutingState.set_strategy,
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            gap="0.75rem",
            width="100%",
            disabled=RoutingState.locked,
        ),
    )


def weight_slider(name: str, label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2", weight="medium"),
            rx.spacer(),
            rx.text(value, "%", size="2", id=f"weight-{name}-value"),
            width="100%",
        ),
        rx.slider(
            value=[value],
            min=0,
            max=100,
            step=1,
            on_change=lambda values: RoutingState.set_weight(name, values),
            disabled=RoutingState.locked | ~RoutingState.custom_allowed,
            aria_label=f"{label} weight",
            id=f"weight-{name}",
        ),
        spacing="2",
        width="100%",
    )


def weights_section() -> rx.Component:
    return section(
        "Weights",
        "How much cost, quality and latency count. They always add up to 100 %: "
        "moving one rebalances the others.",
        *(weight_slider(*item) for item in WEIGHTS),
        rx.cond(
            ~RoutingState.custom_allowed,
            rx.text(
                "The presets' weights are shown. Custom weights need the Scale plan or above.",
                size="1",
                color=rx.color("gray", 11),
                id="custom-note",
            ),
        ),
    )


def preferences_section() -> rx.Component:
    return section(
        "Preferences",
        "Local models and the baseline your savings are measured against.",
        rx.flex(
            rx.switch(
                checked=RoutingState.prefer_local,
                on_change=RoutingState.set_prefer_local,
                disabled=RoutingState.locked,
                id="prefer-local",
            ),
            rx.el.label(
                rx.text("Prefer a healthy local model (Ollama) for simple requests", size="2"),
                html_for="prefer-local",
            ),
            gap="0.75rem",
            align="center",
        ),
        rx.vstack(
            rx.text("Baseline model for the savings figure", size="2", weight="medium"),
            rx.select(
                RoutingState.baseline_models,
                value=RoutingState.baseline_model,
                on_change=RoutingState.set_baseline,
                disabled=RoutingState.locked,
                width="100%",
                max_width="22rem",
                id="baseline-model",
            ),
            spacing="2",
            width="100%",
        ),
    )


def provider_box(name: rx.Var) -> rx.Component:
    return rx.checkbox(
        name,
        checked=RoutingState.allowed_providers.contains(name),
        on_change=lambda checked: RoutingState.toggle_provider(name, checked),
        disabled=RoutingState.locked,
        size="2",
    )


def model_box(model: rx.Var) -> rx.Component:
    return rx.checkbox(
        model["label"],
        checked=RoutingState.allowed_models.contains(model["id"]),
        on_change=lambda checked: RoutingState.toggle_model(model["id"], checked),
        disabled=RoutingState.locked,
        size="2",
        word_break="break-all",
    )


def allow_lists_section() -> rx.Component:
    return section(
        "Providers and models",
        "Only these may serve your requests. The list holds the providers your plan includes.",
        rx.cond(
            RoutingState.providers.length() == 0,
            rx.callout(
                "No provider is available yet: add a provider key of your own on the "
                "Providers page, or move to a plan with RouterAI's keys.",
                icon="info",
                size="1",
                width="100%",
            ),
        ),
        rx.flex(
            rx.foreach(RoutingState.providers, provider_box),
            wrap="wrap",
            gap="1rem",
            id="allowed-providers",
        ),
        rx.flex(
            rx.switch(
                checked=RoutingState.restrict_models,
                on_change=RoutingState.set_restrict_models,
                disabled=RoutingState.locked,
                id="restrict-models",
            ),
            rx.el.label(rx.text("Allow only some models", size="2"), html_for="restrict-models"),
            gap="0.75rem",
            align="center",
        ),
        rx.cond(
            RoutingState.restrict_models,
            rx.grid(
                rx.foreach(RoutingState.visible_models, model_box),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                gap="0.5rem",
                width="100%",
            ),
        ),
    )


def preview_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row["label"], weight="medium", size="2"),
                rx.text(row["prompt"], size="1", color=rx.color("gray", 11)),
                spacing="1",
            ),
            max_width="18rem",
        ),
        rx.table.cell(row["complexity"]),
        rx.table.cell(
            rx.cond(
                row["error"] != "",
                rx.text(row["error"], color=rx.color("red", 11), size="2"),
                rx.code(row["chosen"], variant="ghost", class_name="preview-chosen"),
            )
        ),
        rx.table.cell(rx.text(row["fallbacks"], size="1", color=rx.color("gray", 11))),
        class_name="preview-row",
    )


def preview_section() -> rx.Component:
    table = rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *(
                        rx.table.column_header_cell(h)
                        for h in ("Prompt", "Class", "Routed to", "Then")
                    )
                )
            ),
            rx.table.body(rx.foreach(RoutingState.preview_rows, preview_row)),
            variant="surface",
            size="1",
            min_width="40rem",
        ),
        overflow_x="auto",
        width="100%",
        id="preview-table",
    )
    return section(
        "Preview",
        "What the router would choose under the settings above, before you save them.",
        rx.text_area(
            value=RoutingState.custom_prompt,
            on_change=RoutingState.set_custom_prompt,
            placeholder="Type a prompt of your own (optional)",
            rows="3",
            width="100%",
            id="preview-prompt",
        ),
        rx.button(
            rx.cond(RoutingState.previewing, rx.spinner(size="1"), rx.icon("play", size=14)),
            "Preview",
            on_click=RoutingState.preview,
            disabled=RoutingState.previewing,
            variant="soft",
            id="preview-run",
        ),
        rx.cond(
            RoutingState.preview_error != "",
            rx.callout(
                RoutingState.preview_error,
                icon="circle-alert",
                color_scheme="red",
                size="1",
                width="100%",
            ),
        ),
        rx.cond(RoutingState.preview_rows.length() > 0, table),
    )


def save_bar() -> rx.Component:
    return rx.cond(
        RoutingState.can_configure,
        rx.vstack(
            rx.cond(
                RoutingState.form_error != "",
                rx.callout(
                    RoutingState.form_error,
                    icon="circle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    id="routing-error",
                ),
            ),
            rx.hstack(
                rx.button(
                    "Discard changes",
                    variant="soft",
                    color_scheme="gray",
                    on_click=RoutingState.discard,
                    disabled=~RoutingState.dirty | RoutingState.busy,
                ),
                rx.button(
                    rx.cond(RoutingState.busy, rx.spinner(size="1"), rx.icon("save", size=14)),
                    "Save routing",
                    on_click=RoutingState.save,
                    disabled=~RoutingState.dirty | RoutingState.busy,
                    id="routing-save",
                ),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
    )


def routing_page() -> rx.Component:
    viewer_note = rx.cond(
        ~RoutingState.can_configure,
        rx.callout(
            "You have read-only access here: admins and owners change the routing settings.",
            icon="eye",
            size="1",
            width="100%",
            id="viewer-note",
        ),
    )
    error = load_error(RoutingState.error, RoutingState.retry)
    form = rx.vstack(
        strategy_section(),
        weights_section(),
        preferences_section(),
        allow_lists_section(),
        save_bar(),
        preview_section(),
        spacing="4",
        width="100%",
        id="routing-form",
    )
    body = rx.cond(
        RoutingState.loading,
        rx.vstack(
            *(rx.skeleton(height="9rem", width="100%") for _ in range(3)),
            spacing="4",
            width="100%",
        ),
        rx.cond(RoutingState.error != "", error, form),
    )
    return dashboard_shell(
        "routing",
        "Routing",
        'How requests for model "auto" choose a provider and model.',
        viewer_note,
        body,
    )
