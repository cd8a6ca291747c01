"""`/dashboard/providers`: provider health, the organization's own keys, and benchmarks."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.benchmarks import benchmarks
from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.providers import ProvidersState

TITLE = "Providers · RouterAI"
MUTED = rx.color("gray", 11)


def stat(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=MUTED),
        rx.text(value, size="3", weight="medium"),
        spacing="0",
        min_width="0",
    )


def key_actions(row: rx.Var) -> rx.Component:
    has_key = row["masked"] != ""
    return rx.cond(
        ProvidersState.can_configure & (row["takes_key"] == "yes"),
        rx.cond(
            has_key,
            rx.hstack(
                rx.button(
                    "Replace",
                    size="1",
                    variant="soft",
                    on_click=ProvidersState.open_dialog("replace", row["provider"]),
                ),
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=ProvidersState.open_dialog("remove", row["provider"]),
                ),
                spacing="2",
            ),
            rx.button(
                rx.icon("plus", size=14),
                "Add key",
                size="1",
                variant="soft",
                on_click=ProvidersState.open_dialog("add", row["provider"]),
            ),
        ),
    )


def provider_card(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(row["title"], as_="h3", size="4"),
                rx.spacer(),
                rx.badge(row["breaker"], color_scheme=row["breaker_color"], radius="full"),
                align="center",
                width="100%",
            ),
            rx.grid(
                stat("Requests", row["requests"]),
                stat("Error rate", row["error_rate"]),
                stat("p50", row["p50"]),
                stat("p95", row["p95"]),
                columns="4",
                gap="0.5rem",
                width="100%",
            ),
            rx.hstack(
                rx.text(
                    row["credential"],
                    rx.cond(row["masked"] != "", rx.code(row["masked"], class_name="key-mask")),
                    size="2",
                    color=MUTED,
                ),
                rx.spacer(),
                key_actions(row),
                align="center",
                width="100%",
                wrap="wrap",
                gap="0.5rem",
            ),
            spacing="3",
            width="100%",
        ),
        class_name="provider-card",
        data_provider=row["provider"],
    )


def provider_cards() -> rx.Component:
    return rx.grid(
        rx.foreach(ProvidersState.providers, provider_card),
        columns=rx.breakpoints(initial="1", sm="2", lg="3"),
        gap="1rem",
        width="100%",
        id="provider-cards",
    )


def dialog_error() -> rx.Component:
    return rx.cond(
        ProvidersState.dialog_error != "",
        rx.callout(
            ProvidersState.dialog_error,
            icon="circle-alert",
            color_scheme="red",
            size="1",
            width="100%",
            id="key-dialog-error",
        ),
    )


def busy_button(label: str, **props: object) -> rx.Component:
    return rx.button(
        rx.cond(ProvidersState.busy, rx.spinner(size="1"), rx.fragment()),
        label,
        disabled=ProvidersState.busy,
        **props,
    )


def key_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                "The key is checked with the provider before it is saved, stored encrypted, "
                "and only its last four characters are ever shown again.",
                size="2",
                color=MUTED,
            ),
            rx.el.label(rx.text("Provider", size="2", weight="medium")),
            rx.cond(
                ProvidersState.dialog == "add",
                rx.select(
                    ProvidersState.provider_choices,
                    value=ProvidersState.target_provider,
                    on_change=ProvidersState.set_target_provider,
                    width="100%",
                ),
                rx.text(ProvidersState.target_provider, weight="medium"),
            ),
            rx.el.label(rx.text("API key", size="2", weight="medium"), html_for="provider-secret"),
            rx.input(
                name="secret",
                id="provider-secret",
                type="password",
                auto_complete="off",
                required=True,
                size="3",
                width="100%",
            ),
            dialog_error(),
            rx.hstack(
                rx.dialog.close(
                    rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                ),
                busy_button("Check and save", type="submit", id="save-provider-key"),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=ProvidersState.save_key,
        reset_on_submit=True,
    )


def remove_body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Requests will use the platform's key where your plan allows it, or fail with "
            "no_provider_credential otherwise.",
            size="2",
        ),
        dialog_error(),
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
            busy_button(
                "Remove key",
                color_scheme="red",
                on_click=ProvidersState.remove_key,
                id="confirm-remove-key",
            ),
            justify="end",
            spacing="3",
            width="100%",
        ),
        spacing="4",
    )


def key_dialog() -> rx.Component:
    title = rx.match(
        ProvidersState.dialog,
        ("add", "Add a provider key"),
        ("replace", "Replace the key"),
        "Remove the key?",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.cond(ProvidersState.dialog == "remove", remove_body(), key_form()),
            max_width="30rem",
            id="provider-key-dialog",
        ),
        open=ProvidersState.dialog_open,
        on_open_change=ProvidersState.close_dialog,
    )


def providers_page() -> rx.Component:
    error = load_error(ProvidersState.error, ProvidersState.retry)
    body = rx.cond(
        ProvidersState.loading,
        rx.skeleton(height="16rem", width="100%"),
        rx.cond(
            ProvidersState.error != "",
            error,
            rx.vstack(provider_cards(), benchmarks(), spacing="6", width="100%"),
        ),
    )
    add_button = rx.cond(
        ProvidersState.can_configure,
        rx.button(
            rx.icon("key-round", size=16),
            "Add provider key",
            on_click=ProvidersState.open_dialog("add", ""),
            id="add-provider-key",
        ),
    )
    return dashboard_shell(
        "providers",
        "Providers",
        "Health over the last hour, your own provider keys, and side-by-side benchmarks.",
        body,
        key_dialog(),
        actions=add_button,
    )
