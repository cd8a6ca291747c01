"""`/dashboard/keys`: the organization's API keys; viewers see them but change nothing."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.key_reveal import key_reveal
from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.keys import GRACE_LABELS, KeysState

TITLE = "API keys · RouterAI"


def status_badge(key: rx.Var) -> rx.Component:
    return rx.badge(
        key["status_label"],
        color_scheme=rx.match(key["status"], ("active", "grass"), ("expiring", "amber"), "gray"),
        variant="soft",
        radius="full",
    )


def row_actions(key: rx.Var) -> rx.Component:
    return rx.cond(
        KeysState.can_manage_keys & (key["status"] == "active"),
        rx.hstack(
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Rotate",
                size="1",
                variant="soft",
                on_click=KeysState.open_dialog("rotate", key["id"], key["name"]),
            ),
            rx.button(
                rx.icon("ban", size=14),
                "Revoke",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=KeysState.open_dialog("revoke", key["id"], key["name"]),
            ),
            spacing="2",
            justify="end",
        ),
    )


def key_row(key: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(key["name"], weight="medium"),
                rx.badge(key["environment"], variant="outline", radius="full", size="1"),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(rx.code(key["prefix"], variant="ghost", size="2")),
        rx.table.cell(key["created"]),
        rx.table.cell(key["last_used"]),
        rx.table.cell(status_badge(key)),
        rx.table.cell(row_actions(key)),
        align="center",
        data_key_name=key["name"],
        class_name="key-row",
    )


def keys_table() -> rx.Component:
    headers = ("Name", "Key", "Created", "Last used", "Status", "")
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
            rx.table.body(rx.foreach(KeysState.keys, key_row)),
            variant="surface",
            size="2",
            min_width="46rem",
            white_space="nowrap",
        ),
        overflow_x="auto",
        width="100%",
        id="keys-table",
    )


def create_dialog() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(rx.text("Name", size="2", weight="medium"), html_for="key-name"),
            rx.input(
                name="name",
                id="key-name",
                placeholder="e.g. Production backend",
                required=True,
                size="3",
                width="100%",
            ),
            rx.el.label(rx.text("Environment", size="2", weight="medium")),
            rx.select.root(
                rx.select.trigger(width="100%"),
                rx.select.content(
                    rx.select.item("Production (prod)", value="prod"),
                    rx.select.item("Development (dev)", value="dev"),
                ),
                name="environment",
                default_value="prod",
                size="3",
            ),
            dialog_error(),
            rx.hstack(
                rx.dialog.close(
                    rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                ),
                rx.button(
                    rx.cond(KeysState.busy, rx.spinner(size="1"), rx.fragment()),
                    "Create key",
                    type="submit",
                    disabled=KeysState.busy,
                    id="create-key-submit",
                ),
                justify="end",
                width="100%",
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=KeysState.create,
        reset_on_submit=False,
    )


def dialog_error() -> rx.Component:
    return rx.cond(
        KeysState.dialog_error != "",
        rx.callout(
            KeysState.dialog_error, icon="circle-alert", color_scheme="red", size="1", width="100%"
        ),
    )


def confirm_buttons(
    label: str, handler: rx.EventHandler, color: str, button_id: str
) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
        rx.button(
            rx.cond(KeysState.busy, rx.spinner(size="1"), rx.fragment()),
            label,
            color_scheme=color,
            on_click=handler,
            disabled=KeysState.busy,
            id=button_id,
        ),
        justify="end",
        spacing="3",
        width="100%",
    )


def revoke_body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Requests using ",
            rx.text.strong(KeysState.target_name),
            " will fail with 401 within a second, on every gateway process. This cannot be undone.",
            size="2",
        ),
        dialog_error(),
        confirm_buttons("Revoke key", KeysState.revoke, "red", "confirm-revoke"),
        spacing="4",
    )


def rotate_body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "A new key replaces ",
            rx.text.strong(KeysState.target_name),
            ", with the same name and environment.",
            size="2",
        ),
        rx.radio_group.root(
            rx.vstack(
                *(
                    rx.radio_group.item(label, value=str(seconds))
                    for seconds, label in GRACE_LABELS.items()
                ),
                spacing="2",
            ),
            value=KeysState.grace,
            on_change=KeysState.set_grace,
        ),
        dialog_error(),
        confirm_buttons("Rotate key", KeysState.rotate, "indigo", "confirm-rotate"),
        spacing="4",
    )


def reveal_body() -> rx.Component:
    return rx.vstack(
        key_reveal(KeysState.key_prefix),
        rx.hstack(
            rx.dialog.close(rx.button("I have saved it", id="reveal-done")),
            justify="end",
            width="100%",
        ),
        spacing="4",
    )


def key_dialog() -> rx.Component:
    title = rx.match(
        KeysState.dialog,
        ("create", "Create an API key"),
        ("revoke", "Revoke this key?"),
        ("rotate", "Rotate this key"),
        KeysState.reveal_title,
    )
    body = rx.match(
        KeysState.dialog,
        ("create", create_dialog()),
        ("revoke", revoke_body()),
        ("rotate", rotate_body()),
        reveal_body(),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            body,
            max_width="32rem",
            id="key-dialog",
        ),
        open=KeysState.dialog_open,
        on_open_change=KeysState.close_dialog,
    )


def empty_keys() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("key-round", size=28, color=rx.color("gray", 10)),
            rx.heading("No API keys yet", as_="h2", size="4"),
            rx.text(
                "Create a key to send requests through RouterAI.",
                size="2",
                color=rx.color("gray", 11),
            ),
            align="center",
            spacing="3",
            padding="2rem",
        ),
        width="100%",
    )


def keys_page() -> rx.Component:
    create_button = rx.cond(
        KeysState.can_manage_keys,
        rx.button(
            rx.icon("plus", size=16),
            "Create key",
            on_click=KeysState.open_dialog("create", "", ""),
            id="create-key",
        ),
    )
    viewer_note = rx.cond(
        ~KeysState.can_manage_keys,
        rx.callout(
            "You have view-only access to this organization: you can see its keys but "
            "not create, rotate or revoke them.",
            icon="eye",
            size="1",
            width="100%",
            id="viewer-note",
        ),
    )
    error = load_error(KeysState.error, KeysState.retry)
    body = rx.cond(
        KeysState.loading,
        rx.skeleton(height="12rem", width="100%"),
        rx.cond(
            KeysState.error != "",
            error,
            rx.cond(KeysState.keys.length() > 0, keys_table(), empty_keys()),
        ),
    )
    return dashboard_shell(
        "keys",
        "API keys",
        "Keys authenticate requests to your organization. Each is shown once, when created.",
        viewer_note,
        body,
        key_dialog(),
        actions=create_button,
    )
