"""`/dashboard/usage`: requests, tokens, cost and savings over a range, charted and tabled."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.cards import chart_card, stat_card
from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.usage import UsageState

TITLE = "Usage · RouterAI"
PRESET_LABELS = (("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"), ("custom", "Custom"))
GROUP_LABELS = (("day", "By day"), ("provider", "By provider"), ("model", "By model"))
COLUMNS = (
    ("requests", "Requests"),
    ("prompt_tokens", "Input tokens"),
    ("completion_tokens", "Output tokens"),
    ("total_tokens", "Total tokens"),
    ("cost", "Cost"),
    ("baseline_cost", "Baseline cost"),
    ("saved", "Saved"),
)


def range_picker() -> rx.Component:
    return rx.segmented_control.root(
        *(rx.segmented_control.item(label, value=value) for value, label in PRESET_LABELS),
        value=UsageState.preset,
        on_change=UsageState.set_preset,
        size="2",
        id="usage-range",
    )


def custom_range() -> rx.Component:
    return rx.form(
        rx.flex(
            date_field("From", "start", UsageState.start),
            date_field("To", "end", UsageState.end),
            rx.button(
                rx.cond(UsageState.busy, rx.spinner(size="1"), rx.icon("check", size=14)),
                "Apply",
                type="submit",
                disabled=UsageState.busy,
                id="apply-range",
            ),
            gap="0.75rem",
            align="end",
            wrap="wrap",
        ),
        on_submit=UsageState.apply_custom,
        reset_on_submit=False,
        id="custom-range",
    )


def date_field(label: str, name: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="1", weight="medium"), html_for=f"range-{name}"),
        rx.input(type="date", name=name, id=f"range-{name}", default_value=value, size="2"),
        spacing="1",
    )


def export_button() -> rx.Component:
    return rx.button(
        rx.cond(UsageState.exporting, rx.spinner(size="1"), rx.icon("download", size=14)),
        "Export CSV",
        variant="soft",
        on_click=UsageState.export_csv,
        disabled=UsageState.loading | UsageState.exporting | (UsageState.error != ""),
        id="export-csv",
    )


def table_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["label"]),
        *(rx.table.cell(row[key], text_align="right") for key, _ in COLUMNS),
        class_name="usage-row",
    )


def usage_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading("Breakdown", as_="h2", size="3"),
                rx.spacer(),
                rx.segmented_control.root(
                    *(
                        rx.segmented_control.item(label, value=value)
                        for value, label in GROUP_LABELS
                    ),
                    value=UsageState.group,
                    on_change=UsageState.set_group,
                    size="1",
                    id="usage-group",
                ),
                width="100%",
                gap="0.75rem",
                align="center",
                wrap="wrap",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(UsageState.group_label),
                            *(
                                rx.table.column_header_cell(label, text_align="right")
                                for _, label in COLUMNS
                            ),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(UsageState.rows, table_row),
                        rx.table.row(
                            rx.table.row_header_cell(rx.text.strong(UsageState.total["label"])),
                            *(
                                rx.table.cell(
                                    rx.text.strong(UsageState.total[key]), text_align="right"
                                )
                                for key, _ in COLUMNS
                            ),
                            id="usage-total",
                        ),
                    ),
                    size="1",
                    white_space="nowrap",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
                id="usage-table",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        min_width="0",
        width="100%",
    )


def report() -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(UsageState.cards, lambda card: stat_card(card, "usage-")),
            columns=rx.breakpoints(initial="2", md="4"),
            gap="1rem",
            width="100%",
        ),
        rx.grid(
            chart_card("Requests", "Answered, from cache, and failed, per day", UsageState.traffic),
            chart_card(
                "Spend vs. baseline", "The shaded gap is money saved, per day", UsageState.spend
            ),
            chart_card("By provider", "Cost and money saved", UsageState.providers),
            chart_card("By model", "Cost and money saved", UsageState.models),
            columns=rx.breakpoints(initial="1", lg="2"),
            gap="1rem",
            width="100%",
        ),
        usage_table(),
        spacing="4",
        width="100%",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("chart-column", size=28, color=rx.color("gray", 10)),
            rx.heading("No usage in this range", as_="h2", size="4"),
            rx.text(
                "Requests sent with your API keys show up here, today's within seconds.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.link("Manage API keys", href="/dashboard/keys", size="2"),
            spacing="3",
            align="center",
            padding_y="1.5rem",
        ),
        width="100%",
        id="usage-empty",
    )


def usage_page() -> rx.Component:
    body = rx.cond(
        UsageState.loading,
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
            UsageState.error != "",
            load_error(UsageState.error, UsageState.retry),
            rx.cond(UsageState.has_usage, report(), empty_state()),
        ),
    )
    return dashboard_shell(
        "usage",
        "Usage",
        "Requests, tokens, cost and money saved, by day, provider and model (UTC days)",
        rx.flex(
            range_picker(),
            rx.text(UsageState.range_label, size="2", color=rx.color("gray", 11), id="range-label"),
            rx.cond(UsageState.busy, rx.spinner(size="2")),
            gap="0.75rem",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(UsageState.preset == "custom", custom_range()),
        rx.cond(
            UsageState.range_error != "",
            rx.callout(
                UsageState.range_error,
                icon="calendar-x",
                color_scheme="amber",
                size="1",
                width="100%",
                id="range-error",
            ),
        ),
        body,
        actions=export_button(),
    )
