"""`/dashboard/settings`: the organization, its members and invitations, the danger zone."""

from __future__ import annotations

import reflex as rx

from routerai_app.components.code_block import copy_button
from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.settings import ROLE_LABELS, SettingsState

TITLE = "Settings · RouterAI"


def busy_spinner(action: str) -> rx.Component:
    return rx.cond(SettingsState.busy == action, rx.spinner(size="1"), rx.fragment())


def error_callout(message: rx.Var[str], element_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(
            message, icon="circle-alert", color_scheme="red", size="1", width="100%", id=element_id
        ),
    )


def labelled_input(label: str, name: str, value: rx.Var[str]) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=f"org-{name}"),
        rx.input(
            name=name,
            id=f"org-{name}",
            default_value=value,
            read_only=~SettingsState.can_configure,
            required=True,
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def organization_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Organization", as_="h2", size="4"),
                rx.grid(
                    labelled_input("Name", "name", SettingsState.form_name),
                    labelled_input("Slug", "slug", SettingsState.form_slug),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    "The slug is part of every API key (gw_<slug>_…): changing it stops the "
                    "existing keys at once, and new keys carry the new slug.",
                    size="1",
                    color=rx.color("gray", 11),
                ),
                error_callout(SettingsState.org_error, "org-error"),
                rx.cond(
                    SettingsState.can_configure,
                    rx.hstack(
                        rx.button(
                            busy_spinner("org"),
                            "Save",
                            type="submit",
                            disabled=SettingsState.busy != "",
                            id="save-org",
                        ),
                        justify="end",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=SettingsState.save_org,
            reset_on_submit=False,
            key=SettingsState.form_name + SettingsState.form_slug,
        ),
        width="100%",
    )


def role_cell(member: rx.Var) -> rx.Component:
    label = rx.match(
        member["role"], *((value, text) for value, text in ROLE_LABELS.items()), member["role"]
    )
    return rx.cond(
        SettingsState.can_manage_members,
        rx.box(
            rx.select(
                SettingsState.role_choices,
                value=member["role"],
                on_change=lambda role: SettingsState.change_role(member["user_id"], role),
                disabled=SettingsState.busy != "",
                size="1",
                aria_label="Role of " + member["email"].to(str),
            ),
            class_name="member-role",
        ),
        rx.badge(label, variant="soft", radius="full", class_name="member-role-badge"),
    )


def member_actions(member: rx.Var) -> rx.Component:
    is_you = member["you"] != ""
    return rx.cond(
        is_you | SettingsState.can_manage_members,
        rx.button(
            rx.cond(is_you, "Leave", "Remove"),
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=SettingsState.open_dialog("remove", member["user_id"], member["email"]),
            class_name="member-remove",
        ),
    )


def member_row(member: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.hstack(
                    rx.text(member["name"], weight="medium"),
                    rx.cond(member["you"] != "", rx.badge("You", size="1", radius="full")),
                    spacing="2",
                ),
                rx.text(member["email"], size="1", color=rx.color("gray", 11)),
                spacing="0",
            )
        ),
        rx.table.cell(role_cell(member)),
        rx.table.cell(member["joined"]),
        rx.table.cell(member_actions(member)),
        align="center",
        data_email=member["email"],
        class_name="member-row",
    )


def invitation_row(invitation: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("mail", size=16, color=rx.color("gray", 10)),
        rx.vstack(
            rx.text(invitation["email"], size="2", weight="medium"),
            rx.text(
                invitation["role"],
                " · expires ",
                invitation["expires"],
                size="1",
                color=rx.color("gray", 11),
            ),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.cond(
            SettingsState.can_manage_members,
            rx.button(
                "Revoke",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=SettingsState.open_dialog("revoke", invitation["id"], invitation["email"]),
            ),
        ),
        align="center",
        width="100%",
        data_email=invitation["email"],
        class_name="invitation-row",
    )


def members_card() -> rx.Component:
    headers = ("Member", "Role", "Joined", "")
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Members", as_="h2", size="4"),
                rx.spacer(),
                rx.cond(
                    SettingsState.can_manage_members,
                    rx.button(
                        rx.icon("user-plus", size=16),
                        "Invite",
                        on_click=SettingsState.open_dialog("invite", "", ""),
                        id="invite-member",
                    ),
                ),
                width="100%",
                align="center",
            ),
            error_callout(SettingsState.members_error, "members-error"),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*(rx.table.column_header_cell(h) for h in headers))
                    ),
                    rx.table.body(rx.foreach(SettingsState.members, member_row)),
                    size="2",
                    min_width="34rem",
                ),
                overflow_x="auto",
                width="100%",
                id="members-table",
            ),
            rx.cond(
                SettingsState.invitations.length() > 0,
                rx.vstack(
                    rx.heading("Pending invitations", as_="h3", size="3"),
                    rx.foreach(SettingsState.invitations, invitation_row),
                    width="100%",
                    spacing="2",
                    id="pending-invitations",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def danger_zone() -> rx.Component:
    return rx.cond(
        SettingsState.can_delete_organization,
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.heading("Delete this organization", as_="h2", size="4"),
                    rx.text(
                        "Deletes its keys, logs, settings and members. Every API key stops "
                        "working at once. This cannot be undone.",
                        size="2",
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.button(
                    "Delete organization",
                    color_scheme="red",
                    on_click=SettingsState.open_dialog("delete", "", ""),
                    id="delete-org",
                ),
                align="center",
                width="100%",
                wrap="wrap",
                spacing="3",
            ),
            width="100%",
            border=f"1px solid {rx.color('red', 7)}",
            id="danger-zone",
        ),
    )


def confirm_buttons(
    label: str, handler: rx.EventHandler | None, action: str, button_id: str
) -> rx.Component:
    events = {"on_click": handler, "type": "button"} if handler is not None else {"type": "submit"}
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
        rx.button(
            busy_spinner(action),
            label,
            color_scheme="red" if action in ("remove", "revoke", "delete") else "indigo",
            disabled=SettingsState.busy != "",
            id=button_id,
            **events,
        ),
        justify="end",
        spacing="3",
        width="100%",
    )


def invite_body() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(rx.text("Email", size="2", weight="medium"), html_for="invite-email"),
            rx.input(
                name="email",
                id="invite-email",
                type="email",
                required=True,
                width="100%",
                placeholder="teammate@example.com",
            ),
            rx.el.label(rx.text("Role", size="2", weight="medium")),
            rx.select(
                SettingsState.role_choices,
                name="role",
                default_value="member",
                width="100%",
                id="invite-role",
            ),
            error_callout(SettingsState.dialog_error, "dialog-error"),
            confirm_buttons("Create invitation", None, "invite", "invite-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=SettingsState.invite,
        reset_on_submit=False,
    )


def link_body() -> rx.Component:
    return rx.vstack(
        rx.callout(
            "Send this link to your teammate. It works once, for their email address, within "
            "7 days, and is shown only now.",
            icon="shield-alert",
            color_scheme="amber",
            size="1",
            width="100%",
        ),
        rx.hstack(
            rx.el.code(
                SettingsState.invite_link,
                id="invite-link",
                word_break="break-all",
                font_size="13px",
                flex="1",
                min_width="0",
            ),
            copy_button(SettingsState.invite_link, "Copy link", id="copy-invite", flex_shrink="0"),
            align="center",
            spacing="3",
            padding="0.75rem",
            background=rx.color("gray", 2),
            border=f"1px dashed {rx.color('accent', 8)}",
            border_radius="10px",
            width="100%",
        ),
        rx.hstack(
            rx.dialog.close(rx.button("Done", id="invite-done")), justify="end", width="100%"
        ),
        spacing="4",
        width="100%",
    )


def remove_body() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.text.strong(SettingsState.target_label),
            " loses access to this organization.",
            size="2",
        ),
        error_callout(SettingsState.dialog_error, "dialog-error"),
        confirm_buttons("Remove", SettingsState.remove, "remove", "confirm-remove"),
        spacing="4",
    )


def revoke_body() -> rx.Component:
    return rx.vstack(
        rx.text(
            "The invitation link for ",
            rx.text.strong(SettingsState.target_label),
            " stops working.",
            size="2",
        ),
        error_callout(SettingsState.dialog_error, "dialog-error"),
        confirm_buttons("Revoke", SettingsState.revoke, "revoke", "confirm-revoke"),
        spacing="4",
    )


def delete_body() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text("Type ", rx.text.strong(SettingsState.org_name), " to confirm.", size="2"),
            rx.input(
                name="confirm",
                id="delete-confirm",
                required=True,
                width="100%",
                auto_complete="off",
            ),
            error_callout(SettingsState.dialog_error, "dialog-error"),
            confirm_buttons("Delete forever", None, "delete", "confirm-delete"),
            spacing="3",
            width="100%",
        ),
        on_submit=SettingsState.delete_org,
        reset_on_submit=False,
    )


def settings_dialog() -> rx.Component:
    title = rx.match(
        SettingsState.dialog,
        ("invite", "Invite a member"),
        ("link", "Invitation link"),
        ("remove", "Remove this member?"),
        ("revoke", "Revoke this invitation?"),
        "Delete this organization?",
    )
    body = rx.match(
        SettingsState.dialog,
        ("invite", invite_body()),
        ("link", link_body()),
        ("remove", remove_body()),
        ("revoke", revoke_body()),
        delete_body(),
    )
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title(title), body, max_width="32rem", id="settings-dialog"),
        open=SettingsState.dialog_open,
        on_open_change=SettingsState.close_dialog,
    )


def settings_page() -> rx.Component:
    error = load_error(SettingsState.error, SettingsState.retry)
    content = rx.vstack(
        organization_card(),
        members_card(),
        danger_zone(),
        spacing="4",
        width="100%",
        id="settings-content",
    )
    body = rx.cond(
        SettingsState.loading,
        rx.skeleton(height="16rem", width="100%"),
        rx.cond(SettingsState.error != "", error, content),
    )
    return dashboard_shell(
        "settings",
        "Settings",
        "Your organization, its members and invitations.",
        body,
        settings_dialog(),
    )
