"""The providers page's built-in benchmarks: the form, the live progress bar, the results
and answers side by side, and the comparison with an earlier run."""

from __future__ import annotations

import reflex as rx

from routerai_app.state.providers import ProvidersState

POLL_MS = 1_000
MUTED = rx.color("gray", 11)


def target_picker() -> rx.Component:
    return rx.flex(
        rx.foreach(
            ProvidersState.targets,
            lambda label: rx.el.label(
                rx.hstack(
                    rx.checkbox(
                        checked=ProvidersState.selected.contains(label),
                        on_change=lambda checked: ProvidersState.toggle_target(label, checked),
                    ),
                    rx.text(label, size="2"),
                    spacing="2",
                    align="center",
                ),
                class_name="bench-target",
            ),
        ),
        wrap="wrap",
        gap="0.5rem 1rem",
        width="100%",
    )


def benchmark_form() -> rx.Component:
    return rx.vstack(
        rx.text("Models", size="2", weight="medium"),
        target_picker(),
        rx.hstack(
            rx.text("Prompts, one per line", size="2", weight="medium"),
            rx.spacer(),
            rx.foreach(
                ProvidersState.presets,
                lambda name: rx.button(
                    name,
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=ProvidersState.add_preset(name),
                ),
            ),
            wrap="wrap",
            gap="0.5rem",
            width="100%",
            align="center",
        ),
        rx.text_area(
            value=ProvidersState.prompts_text,
            on_change=ProvidersState.set_prompts_text,
            placeholder="Ask every model the same questions…",
            rows="4",
            width="100%",
            id="bench-prompts",
        ),
        rx.cond(
            ProvidersState.bench_error != "",
            rx.callout(
                ProvidersState.bench_error, icon="circle-alert", color_scheme="red", size="1"
            ),
        ),
        rx.button(
            rx.cond(ProvidersState.starting, rx.spinner(size="1"), rx.icon("play", size=16)),
            "Run benchmark",
            on_click=ProvidersState.start_benchmark,
            disabled=ProvidersState.starting | ProvidersState.run_active,
            id="run-benchmark",
        ),
        spacing="3",
        width="100%",
    )


def summary_table(rows: rx.Var, table_id: str) -> rx.Component:
    headers = ("Model", "Latency", "First token", "Tokens/s", "Cost", "")

    def row(item: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(item["label"]),
            rx.table.cell(item["latency"]),
            rx.table.cell(item["ttft"]),
            rx.table.cell(item["speed"]),
            rx.table.cell(item["cost"]),
            rx.table.cell(
                rx.cond(
                    item["errors"] != "",
                    rx.badge(item["errors"], " failed", color_scheme="red", variant="soft"),
                )
            ),
            class_name="bench-result",
        )

    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
            rx.table.body(rx.foreach(rows, row)),
            variant="surface",
            size="1",
            white_space="nowrap",
        ),
        overflow_x="auto",
        width="100%",
        id=table_id,
    )


def answer_cell(cell: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(cell["label"], size="1", weight="bold", color=MUTED),
            rx.cond(
                cell["error"] != "",
                rx.text(cell["error"], size="2", color=rx.color("red", 11)),
                rx.cond(
                    cell["pending"] == "yes",
                    rx.skeleton(height="3rem", width="100%"),
                    rx.text(cell["answer"], size="2", white_space="pre-wrap"),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        class_name="bench-answer",
        overflow_wrap="anywhere",
    )


def answers() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            ProvidersState.run_answers,
            lambda cells, index: rx.vstack(
                rx.text(ProvidersState.run_prompts[index], size="2", weight="medium"),
                rx.grid(
                    rx.foreach(cells, answer_cell),
                    columns=rx.breakpoints(initial="1", md="2", lg="3"),
                    gap="0.75rem",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


def progress() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(ProvidersState.run_name, as_="h3", size="3"),
            rx.spacer(),
            rx.badge(
                ProvidersState.run_status,
                color_scheme=rx.match(
                    ProvidersState.run_status, ("done", "grass"), ("failed", "red"), "amber"
                ),
                id="bench-status",
            ),
            align="center",
            width="100%",
        ),
        rx.progress(value=ProvidersState.run_percent, width="100%", id="bench-progress"),
        rx.text(
            ProvidersState.run_completed,
            " of ",
            ProvidersState.run_total,
            " calls · ",
            ProvidersState.run_percent,
            " %",
            size="2",
            color=MUTED,
            id="bench-progress-text",
        ),
        rx.cond(
            ProvidersState.run_error != "",
            rx.callout(ProvidersState.run_error, icon="circle-alert", color_scheme="red", size="1"),
        ),
        spacing="2",
        width="100%",
    )


def compared(row: rx.Var, key: str) -> rx.Component:
    return rx.table.cell(
        rx.text(row[f"{key}_now"], size="2"),
        rx.text("was ", row[f"{key}_before"], size="1", color=MUTED),
    )


def comparison_table() -> rx.Component:
    headers = ("Model", "Latency", "First token", "Tokens/s", "Cost")

    def row(item: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(item["label"]),
            *(compared(item, key) for key in ("latency", "ttft", "speed", "cost")),
            class_name="bench-compared",
        )

    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
            rx.table.body(rx.foreach(ProvidersState.compare_rows, row)),
            variant="surface",
            size="1",
            white_space="nowrap",
        ),
        overflow_x="auto",
        width="100%",
        id="bench-compare",
    )


def comparison() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Compare with an earlier run", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(placeholder="Choose a run", max_width="100%"),
                rx.select.content(
                    rx.foreach(
                        ProvidersState.earlier_runs,
                        lambda run: rx.select.item(run["label"], value=run["id"]),
                    )
                ),
                value=ProvidersState.compare_id,
                on_change=ProvidersState.compare_with,
            ),
            wrap="wrap",
            align="center",
            gap="0.5rem",
            width="100%",
        ),
        rx.cond(
            ProvidersState.compare_id != "",
            rx.vstack(
                rx.text(
                    "This run's figures, each above the earlier run's (",
                    ProvidersState.compare_name,
                    ").",
                    size="1",
                    color=MUTED,
                ),
                comparison_table(),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def benchmark_run() -> rx.Component:
    return rx.cond(
        ProvidersState.run_id != "",
        rx.card(
            rx.vstack(
                progress(),
                summary_table(ProvidersState.run_summary, "bench-results"),
                answers(),
                rx.cond(ProvidersState.earlier_runs.length() > 0, comparison()),
                spacing="4",
                width="100%",
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.icon("gauge", size=28, color=rx.color("gray", 10)),
                rx.heading("No benchmarks yet", as_="h3", size="3"),
                rx.text(
                    "Pick models and prompts to compare speed, cost and answers.",
                    size="2",
                    color=MUTED,
                ),
                align="center",
                spacing="2",
                padding="1.5rem",
            ),
            width="100%",
            id="bench-empty",
        ),
    )


def benchmarks() -> rx.Component:
    return rx.vstack(
        rx.heading("Benchmarks", as_="h2", size="5"),
        rx.cond(
            ProvidersState.can_run_benchmarks,
            rx.card(benchmark_form(), width="100%"),
            rx.callout("Viewers can see benchmark results but not run them.", icon="eye", size="1"),
        ),
        benchmark_run(),
        rx.cond(
            ProvidersState.run_active,
            rx.moment(interval=POLL_MS, on_change=ProvidersState.poll_run, display="none"),
        ),
        spacing="3",
        width="100%",
    )
