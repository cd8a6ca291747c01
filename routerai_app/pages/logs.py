"""`/dashboard/logs`: the organization's requests, newest first, filtered; details per request."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx

from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.logs import ANY, LogsState

TITLE = "Request logs · RouterAI"
TIME_RANGES = (("1h", "Last hour"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"),
               ("30d", "Last 30 days"), ("all", "All time"))  # fmt: skip
STATUSES = (
    (ANY, "Any status"),
    ("ok", "Succeeded (< 400)"),
    ("error", "Failed (≥ 400)"),
    ("4xx", "4xx"),
    ("5xx", "5xx"),
    *((code, code) for code in ("400", "401", "403", "404", "429", "500", "502", "503", "504")),
)
CACHE = ((ANY, "Any cache"), ("miss", "Miss"), ("exact", "Exact hit"),
         ("semantic", "Semantic hit"), ("bypass", "Bypassed"))  # fmt: skip
HEADERS = ("Time (UTC)", "Status", "Model", "Provider", "Tokens", "Cost", "Latency", "Cache", "Key")


def select(
    name: str,
    label: str,
    value: rx.Var,
    fixed: Sequence[tuple[str, str]],
    dynamic: rx.Component | None = None,
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, width="100%", id=f"filter-{name}"),
        rx.select.content(
            *(rx.select.item(text, value=item) for item, text in fixed),
            *((dynamic,) if dynamic is not None else ()),
        ),
        value=value,
        on_change=lambda chosen: LogsState.set_filter(name, chosen),
        size="2",
    )


def filters() -> rx.Component:
    return rx.grid(
        select("time_range", "Time range", LogsState.time_range, TIME_RANGES),
        select("status", "Status", LogsState.status, STATUSES),
        select(
            "provider",
            "Provider",
            LogsState.provider,
            ((ANY, "Any provider"),),
            rx.foreach(LogsState.provider_options, lambda p: rx.select.item(p, value=p)),
        ),
        select(
            "model",
            "Model",
            LogsState.model,
            ((ANY, "Any model"),),
            rx.foreach(LogsState.model_options, lambda m: rx.select.item(m, value=m)),
        ),
        select(
            "key",
            "API key",
            LogsState.key,
            ((ANY, "Any API key"),),
            rx.foreach(LogsState.key_options, lambda k: rx.select.item(k["label"], value=k["id"])),
        ),
        select("cache", "Cache", LogsState.cache, CACHE),
        columns=rx.breakpoints(initial="2", sm="3", lg="6"),
        gap="0.5rem",
        width="100%",
        id="log-filters",
    )


def status_badge(row: rx.Var) -> rx.Component:
    return rx.badge(
        row["status"],
        color_scheme=rx.match(row["tone"], ("ok", "grass"), ("client", "amber"), "red"),
        variant="soft",
    )


def log_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.button(
                row["time"],
                variant="ghost",
                size="1",
                aria_label="Show request " + row["request_id"],
                class_name="log-open",
            )
        ),
        rx.table.cell(status_badge(row)),
        rx.table.cell(row["model"], class_name="log-model"),
        rx.table.cell(row["provider"]),
        rx.table.cell(row["tokens"], text_align="right"),
        rx.table.cell(row["cost"], text_align="right"),
        rx.table.cell(row["latency"], text_align="right"),
        rx.table.cell(row["cache"]),
        rx.table.cell(row["key"]),
        on_click=LogsState.open_detail(row["id"]),
        cursor="pointer",
        _hover={"background": rx.color("gray", 3)},
        class_name="log-row",
        data_status=row["status"],
        align="center",
    )


def log_table() -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in HEADERS))),
                rx.table.body(rx.foreach(LogsState.rows, log_row)),
                variant="surface",
                size="1",
                white_space="nowrap",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
            id="log-table",
            opacity=rx.cond(LogsState.busy, "0.6", "1"),
        ),
        pager(),
        spacing="3",
        width="100%",
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=14),
            "Newer",
            variant="soft",
            size="2",
            on_click=LogsState.newer,
            disabled=(LogsState.cursors.length() == 0) | LogsState.busy,
            id="newer-page",
        ),
        rx.text("Page ", LogsState.page_number, size="2", color=rx.color("gray", 11)),
        rx.button(
            "Older",
            rx.icon("chevron-right", size=14),
            variant="soft",
            size="2",
            on_click=LogsState.older,
            disabled=(LogsState.next_cursor == "") | LogsState.busy,
            id="older-page",
        ),
        justify="center",
        align="center",
        spacing="3",
        width="100%",
    )


def field(label: str, value: rx.Var, field_id: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10)),
        rx.text(value, size="2", weight="medium", id=field_id or None, word_break="break-all"),
        spacing="0",
        min_width="0",
    )


def detail_body() -> rx.Component:
    detail = LogsState.detail
    return rx.vstack(
        rx.cond(
            detail["error"] != "",
            rx.callout(
                "Error: " + detail["error"].to(str),
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                id="detail-error-type",
            ),
        ),
        rx.grid(
            field("Status", detail["status"], "detail-status"),
            field("Time", detail["when"]),
            field("Model requested", detail["model_requested"]),
            field("Model used", detail["model_used"], "detail-model"),
            field("Provider", detail["provider"], "detail-provider"),
            field("API key", detail["key"]),
            field("Input tokens", detail["prompt_tokens"], "detail-prompt-tokens"),
            field("Output tokens", detail["completion_tokens"], "detail-completion-tokens"),
            field("Cost", detail["cost"], "detail-cost"),
            field("Baseline cost", detail["baseline_cost"]),
            field("Saved", detail["saved"]),
            field("Latency", detail["latency"], "detail-latency"),
            field("Time to first byte", detail["ttfb"], "detail-ttfb"),
            field("Streamed", detail["streamed"]),
            field("Cache", detail["cache_detail"]),
            field("Request id", detail["request_id"]),
            columns=rx.breakpoints(initial="2", sm="3"),
            gap="0.75rem",
            width="100%",
        ),
        rx.divider(),
        rx.heading("Routing", as_="h3", size="3"),
        rx.cond(
            detail["routing_json"] != "",
            routing_section(),
            rx.text(
                "No routing decision: the request was refused before a provider was chosen.",
                size="2",
                color=rx.color("gray", 11),
            ),
        ),
        spacing="3",
        width="100%",
    )


def routing_section() -> rx.Component:
    detail = LogsState.detail
    return rx.vstack(
        rx.grid(
            field("Class", detail["route_class"]),
            field("Strategy", detail["strategy"]),
            field("Chosen", detail["chosen"], "detail-chosen"),
            field("Attempts", detail["attempts"]),
            columns=rx.breakpoints(initial="2", sm="4"),
            gap="0.75rem",
            width="100%",
        ),
        rx.cond(
            LogsState.fallbacks.length() > 0,
            rx.vstack(
                rx.text("Fallbacks tried", size="2", weight="medium"),
                rx.foreach(
                    LogsState.fallbacks,
                    lambda f: rx.hstack(
                        rx.icon("corner-down-right", size=14),
                        rx.code(f["candidate"]),
                        rx.text(f["error"], size="1", color=rx.color("red", 11)),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                        class_name="detail-fallback",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            LogsState.candidates.length() > 0,
            rx.vstack(
                rx.text("Candidates, best first", size="2", weight="medium"),
                rx.foreach(
                    LogsState.candidates,
                    lambda c: rx.hstack(
                        rx.code(c["target"]),
                        rx.text(c["source"], size="1", color=rx.color("gray", 10)),
                        rx.spacer(),
                        rx.text(c["score"], size="1"),
                        width="100%",
                        align="center",
                        wrap="wrap",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        rx.el.details(
            rx.el.summary(rx.text("Raw routing record", size="1", as_="span")),
            rx.code_block(detail["routing_json"], language="json", wrap_long_lines=True),
        ),
        spacing="3",
        width="100%",
    )


def detail_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title("Request details", margin="0"),
                rx.spacer(),
                rx.dialog.close(
                    rx.icon_button(
                        rx.icon("x", size=16),
                        variant="ghost",
                        color_scheme="gray",
                        aria_label="Close",
                    )
                ),
                align="center",
                width="100%",
            ),
            rx.dialog.description(
                "What RouterAI recorded for this request.", size="2", color=rx.color("gray", 11)
            ),
            rx.box(
                rx.cond(
                    LogsState.detail_loading,
                    rx.skeleton(height="14rem", width="100%"),
                    rx.cond(
                        LogsState.detail_error != "",
                        rx.callout(
                            LogsState.detail_error,
                            icon="circle-alert",
                            color_scheme="red",
                            size="1",
                        ),
                        detail_body(),
                    ),
                ),
                margin_top="1rem",
            ),
            max_width="44rem",
            id="log-detail",
        ),
        open=LogsState.detail_open,
        on_open_change=LogsState.set_detail_open,
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("scroll-text", size=28, color=rx.color("gray", 10)),
            rx.heading(
                rx.cond(LogsState.filtered, "No requests match these filters", "No requests yet"),
                as_="h2",
                size="4",
            ),
            rx.text(
                rx.cond(
                    LogsState.filtered,
                    "Try a longer time range or fewer filters.",
                    "Requests sent with your API keys show up here within seconds.",
                ),
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.cond(
                LogsState.filtered,
                rx.button("Clear filters", variant="soft", on_click=LogsState.clear_filters),
            ),
            spacing="3",
            align="center",
            padding_y="1.5rem",
        ),
        width="100%",
        id="logs-empty",
    )


def logs_page() -> rx.Component:
    body = rx.cond(
        LogsState.loading,
        rx.skeleton(height="20rem", width="100%"),
        rx.cond(
            LogsState.error != "",
            load_error(LogsState.error, LogsState.retry, id="logs-error"),
            rx.cond(LogsState.rows.length() > 0, log_table(), empty_state()),
        ),
    )
    return dashboard_shell(
        "logs",
        "Request logs",
        "Every request through your keys, newest first. Select one for its routing and costs.",
        filters(),
        body,
        detail_dialog(),
        actions=rx.cond(LogsState.busy, rx.spinner(size="2")),
    )
