"""`/docs`: quickstart (with the visitor's own key when signed in), routing and caching,
errors and headers, and the API reference generated from the gateway's OpenAPI document."""

from __future__ import annotations

import reflex as rx

from gateway.api.openapi import openapi_document
from gateway.dashboard import reference
from routerai_app.components.api_reference import endpoint_card, fields_table, responses_table
from routerai_app.components.code_block import code_panel, snippet_tabs
from routerai_app.components.footer import footer
from routerai_app.components.key_reveal import shown_key
from routerai_app.components.layout import CONTENT_WIDTH, link_button, plain_link
from routerai_app.components.navbar import navbar
from routerai_app.state.docs import DocsState

TITLE = "Documentation · RouterAI"
DESCRIPTION = "Quickstart, routing, caching, errors, headers and the RouterAI API reference."
SECTIONS = (
    ("quickstart", "Quickstart"),
    ("routing", "Routing"),
    ("caching", "Caching"),
    ("errors", "Errors"),
    ("headers", "Headers"),
    ("reference", "API reference"),
)
ERROR_CODES = (
    (
        "400",
        "invalid_request_error",
        "Malformed JSON, a missing or mistyped field (param names it), context too long",
    ),
    ("401", "invalid_api_key", "Missing, unknown or revoked key"),
    ("404", "model_not_found", "Unknown model, or one your organization may not use"),
    ("413", "payload_too_large", "The body is over the size limit"),
    ("415", "unsupported_media_type", "The body is not JSON"),
    ("429", "rate_limit_exceeded", "Requests or tokens per minute exceeded; wait for Retry-After"),
    ("429", "insufficient_quota", "The monthly token or dollar budget is used up"),
    (
        "502 / 503 / 504",
        "upstream_*",
        "Every eligible provider failed, was unavailable or timed out",
    ),
)


def doc_section(anchor: str, title: str, *children: rx.Component) -> rx.Component:
    return rx.el.section(
        rx.vstack(
            rx.heading(title, as_="h2", size="6"),
            *children,
            spacing="4",
            width="100%",
            min_width="0",
        ),
        id=anchor,
        scroll_margin_top="5rem",
        padding_bottom="2.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def prose(*parts: str | rx.Component) -> rx.Component:
    return rx.text(*parts, size="3", color=rx.color("gray", 11), line_height="1.7")


def key_banner() -> rx.Component:
    signed_in = rx.hstack(
        rx.icon("key-round", size=16, color=rx.color("accent", 11)),
        rx.cond(
            shown_key() != "",
            rx.text(
                "These snippets use the key you just created. Copy it now: it is shown once.",
                size="2",
            ),
            rx.text(
                "Signed in to ",
                rx.text.strong(DocsState.org_name),
                ". Your keys are stored hashed, so paste your own key, or create one here.",
                size="2",
            ),
        ),
        rx.spacer(),
        rx.cond(
            (shown_key() == "") & DocsState.can_manage_keys,
            rx.button(
                rx.cond(DocsState.creating, rx.spinner(size="1"), rx.icon("plus", size=14)),
                "Create a key for these snippets",
                on_click=DocsState.create_key,
                disabled=DocsState.creating,
                size="2",
                variant="soft",
                id="docs-create-key",
            ),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
    )
    signed_out = rx.hstack(
        rx.icon("key-round", size=16, color=rx.color("accent", 11)),
        rx.text("Create a free account to get a key; these snippets then fill it in.", size="2"),
        rx.spacer(),
        link_button("Get a key", "/signup", size="2", variant="soft"),
        align="center",
        spacing="3",
        wrap="wrap",
    )
    return rx.card(
        rx.vstack(
            rx.cond(DocsState.signed_in, signed_in, signed_out),
            rx.cond(
                DocsState.key_error != "",
                rx.text(DocsState.key_error, size="2", color=rx.color("red", 11)),
            ),
            width="100%",
        ),
        width="100%",
    )


def quickstart() -> rx.Component:
    return doc_section(
        "quickstart",
        "Quickstart",
        prose(
            "RouterAI speaks the OpenAI API. Keep your SDK and your code; change the base URL to ",
            rx.code(DocsState.api_base_url),
            " and use a RouterAI key.",
        ),
        key_banner(),
        snippet_tabs(
            DocsState.snippets, key=shown_key(), key_placeholder=DocsState.key_placeholder
        ),
        prose(
            "Every answer comes back exactly as the provider sent it, streaming included, "
            "and the dashboard shows the request within seconds."
        ),
    )


def routing() -> rx.Component:
    return doc_section(
        "routing",
        "Routing",
        prose(
            "Ask for a concrete model (",
            rx.code("gpt-4o-mini"),
            ", ",
            rx.code("claude-sonnet-4"),
            ", ",
            rx.code("llama-3.3-70b"),
            ", …) and RouterAI sends the request to a provider serving it. Ask for ",
            rx.code("auto"),
            " and RouterAI chooses: each request is classified as simple, medium or complex "
            "from cheap features (length, code, reasoning cues), then the eligible "
            "provider-model pairs are scored by your organization's strategy: cost, quality, "
            "latency, balanced or custom weights.",
        ),
        prose(
            "A pair is eligible when your plan and allow-lists permit its provider, a credential "
            "exists for it (your own key, or the platform's on Growth and up), the model has "
            "what the request needs (tools, JSON mode, vision, a large enough context) and its "
            "circuit breaker is closed. When a provider fails with a timeout, a rate limit or a "
            "5xx, the next candidate answers; a stream falls back only before its first "
            "content. The decision travels in the ",
            rx.code("x-routerai-route"),
            " header.",
        ),
    )


def caching() -> rx.Component:
    return doc_section(
        "caching",
        "Caching",
        prose(
            "Starter caches exact repeats; Growth and up also answer near-identical prompts "
            "from a semantic cache. Caches belong to one organization and are never shared; a "
            "multi-turn conversation only matches the same conversation prefix. Cached answers "
            "cost no provider tokens, and streams are replayed as streams."
        ),
        prose(
            "The ",
            rx.code("x-routerai-cache"),
            " header says what happened: ",
            rx.code("miss"),
            ", ",
            rx.code("exact"),
            ", ",
            rx.code("semantic"),
            " or ",
            rx.code("bypass"),
            " (temperature too high, or caching off for your organization).",
        ),
    )


def errors() -> rx.Component:
    document = openapi_document()
    codes = rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(*(rx.table.column_header_cell(h) for h in ("Status", "Code", "When")))
            ),
            rx.table.body(
                *(
                    rx.table.row(
                        rx.table.row_header_cell(rx.code(status, variant="ghost")),
                        rx.table.cell(rx.code(code, size="1")),
                        rx.table.cell(rx.text(when, size="1")),
                    )
                    for status, code, when in ERROR_CODES
                )
            ),
            variant="surface",
            size="1",
            min_width="36rem",
        ),
        overflow_x="auto",
        width="100%",
    )
    return doc_section(
        "errors",
        "Errors",
        prose(
            "Errors use OpenAI's JSON shape and statuses, so the SDKs raise their usual "
            "exceptions (AuthenticationError, RateLimitError, …):"
        ),
        code_panel(
            '{"error": {"message": "Invalid API key", "type": "invalid_request_error",\n'
            '           "param": null, "code": "invalid_api_key"}}',
            "Error body",
        ),
        codes,
        rx.heading("Statuses in the OpenAPI document", as_="h3", size="3"),
        responses_table(reference.error_responses(document)),
    )


def headers() -> rx.Component:
    return doc_section(
        "headers",
        "Response headers",
        prose(
            "Every response carries these headers. A stream's cost arrives last, as the SSE "
            "comment ",
            rx.code(": x-routerai-cost-usd 0.000123"),
            ", which SSE clients ignore.",
        ),
        fields_table(reference.response_headers(openapi_document())),
    )


def api_reference() -> rx.Component:
    return doc_section(
        "reference",
        "API reference",
        prose(
            "Generated from the gateway's own ",
            plain_link("/openapi.json", href="/openapi.json"),
            ". Fields RouterAI does not check pass through to the provider untouched.",
        ),
        *(endpoint_card(endpoint) for endpoint in reference.endpoints(openapi_document())),
    )


def toc() -> rx.Component:
    return rx.vstack(
        rx.text(
            "On this page",
            size="1",
            weight="bold",
            color=rx.color("gray", 10),
            text_transform="uppercase",
        ),
        *(
            plain_link(label, href=f"#{anchor}", size="2", color=rx.color("gray", 11))
            for anchor, label in SECTIONS
        ),
        spacing="2",
        position="sticky",
        top="5.5rem",
        display=rx.breakpoints(initial="none", lg="flex"),
        min_width="11rem",
    )


def docs_page() -> rx.Component:
    return rx.box(
        navbar(),
        rx.el.main(
            rx.hstack(
                toc(),
                rx.vstack(
                    rx.vstack(
                        rx.badge("Documentation", variant="soft", radius="full"),
                        rx.heading("Build with RouterAI", as_="h1", size="8"),
                        prose("From your first request to every header, status and endpoint."),
                        spacing="3",
                    ),
                    quickstart(),
                    routing(),
                    caching(),
                    errors(),
                    headers(),
                    api_reference(),
                    spacing="6",
                    width="100%",
                    min_width="0",
                ),
                align="start",
                spacing="8",
                max_width=CONTENT_WIDTH,
                margin_x="auto",
                width="100%",
            ),
            padding_x=rx.breakpoints(initial="1.25rem", sm="2rem"),
            padding_y=rx.breakpoints(initial="2rem", md="3rem"),
        ),
        footer(),
        width="100%",
    )
