"""The API reference, rendered from `gateway.dashboard.reference` rows (static content)."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx

from gateway.dashboard.reference import Endpoint, FieldDoc, ResponseDoc

METHOD_COLORS = {
    "GET": "grass",
    "POST": "indigo",
    "DELETE": "red",
    "PUT": "amber",
    "PATCH": "amber",
}


def method_badge(method: str) -> rx.Component:
    return rx.badge(
        method,
        color_scheme=METHOD_COLORS.get(method, "gray"),  # type: ignore[arg-type]
        variant="solid",
        radius="small",
        font_family="var(--code-font-family)",
    )


def scroll_table(
    *rows: rx.Component, headers: Sequence[str], min_width: str = "36rem"
) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
            rx.table.body(*rows),
            variant="surface",
            size="1",
            min_width=min_width,
        ),
        overflow_x="auto",
        width="100%",
    )


def fields_table(fields: Sequence[FieldDoc]) -> rx.Component:
    return scroll_table(
        *(
            rx.table.row(
                rx.table.row_header_cell(rx.code(f.name, variant="ghost")),
                rx.table.cell(rx.text(f.type, size="1", font_family="var(--code-font-family)")),
                rx.table.cell(
                    rx.badge("required", size="1") if f.required else rx.text("—", size="1")
                ),
                rx.table.cell(rx.text(_plain(f.description), size="1")),
            )
            for f in fields
        ),
        headers=("Field", "Type", "", "Description"),
    )


def responses_table(responses: Sequence[ResponseDoc]) -> rx.Component:
    return scroll_table(
        *(
            rx.table.row(
                rx.table.row_header_cell(rx.code(r.status, variant="ghost")),
                rx.table.cell(rx.text(_plain(r.description), size="1")),
            )
            for r in responses
        ),
        headers=("Status", "Meaning"),
        min_width="24rem",
    )


def endpoint_card(endpoint: Endpoint) -> rx.Component:
    parts: list[rx.Component] = [
        rx.hstack(
            method_badge(endpoint.method),
            rx.code(endpoint.path, variant="ghost", size="3", weight="bold"),
            rx.badge("Bearer key", variant="soft", color_scheme="gray", size="1")
            if endpoint.authenticated
            else rx.badge("Public", variant="soft", color_scheme="grass", size="1"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.text(
            endpoint.title,
            " — ",
            _plain(endpoint.description),
            size="2",
            color=rx.color("gray", 11),
        ),
    ]
    if endpoint.parameters:
        parts += [
            rx.heading("Path parameters", as_="h4", size="2"),
            fields_table(endpoint.parameters),
        ]
    if endpoint.body:
        parts += [
            rx.heading("Request body (JSON)", as_="h4", size="2"),
            fields_table(endpoint.body),
        ]
    success = [r for r in endpoint.responses if r.status.startswith("2")]
    failures = [r.status for r in endpoint.responses if not r.status.startswith("2")]
    parts += [rx.heading("Responses", as_="h4", size="2"), responses_table(success)]
    if failures:
        parts.append(
            rx.hstack(
                rx.text("Errors:", size="1", color=rx.color("gray", 11)),
                *(
                    rx.badge(status, variant="soft", color_scheme="red", size="1")
                    for status in failures
                ),
                rx.link("what they mean", href="#errors", size="1"),
                spacing="2",
                wrap="wrap",
                align="center",
            )
        )
    return rx.card(
        rx.vstack(*parts, spacing="3", width="100%", min_width="0"),
        id=endpoint.anchor,
        size="2",
        width="100%",
    )


def _plain(text: str) -> str:
    """The document's Markdown code spans, as plain text."""
    return text.replace("`", "")
