"""`/dashboard/billing`: plan, usage, invoice estimate, upgrades and budgets.

Everyone sees the figures; owners get the billing buttons and admins the budget form.
"""

from __future__ import annotations

import reflex as rx

from routerai_app.components.shell import dashboard_shell, load_error
from routerai_app.state.billing import BillingState

TITLE = "Billing · RouterAI"


def spinner_when(action: str | rx.Var) -> rx.Component:
    return rx.cond(BillingState.busy == action, rx.spinner(size="1"), rx.fragment())


def past_due_banner() -> rx.Component:
    return rx.cond(
        BillingState.past_due,
        rx.callout(
            rx.text(
                "Your last payment failed (since ",
                BillingState.past_due_since,
                "). Your plan stays active for a 7-day grace period: update your payment "
                "method to keep it.",
            ),
            icon="triangle-alert",
            color_scheme="red",
            width="100%",
            id="past-due-banner",
        ),
    )


def usage_bar(label: str, value: rx.Var, percent: rx.Var, color: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.text(value, " of ", BillingState.tokens_included, size="2", weight="medium"),
            width="100%",
            wrap="wrap",
        ),
        rx.progress(value=percent, max=100, color_scheme=color, width="100%"),
        width="100%",
        spacing="1",
    )


def plan_card() -> rx.Component:
    manage = rx.cond(
        BillingState.can_manage_billing & BillingState.has_billing_account,
        rx.button(
            spinner_when("portal"),
            "Manage billing",
            variant="soft",
            on_click=BillingState.manage,
            disabled=BillingState.busy != "",
            id="manage-billing",
        ),
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text("Current plan", size="2", color=rx.color("gray", 11)),
                    rx.heading(BillingState.plan_title, size="6", id="billing-plan"),
                    rx.text(BillingState.plan_price, size="2"),
                    spacing="1",
                ),
                rx.spacer(),
                manage,
                width="100%",
                align="start",
                wrap="wrap",
            ),
            rx.text("This period: ", BillingState.period_label, size="2"),
            usage_bar(
                "Tokens used", BillingState.tokens_used, BillingState.usage_percent, "indigo"
            ),
            usage_bar(
                "Projected by the period's end",
                BillingState.tokens_projected,
                BillingState.projected_percent,
                "amber",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def estimate_card() -> rx.Component:
    row = lambda item: rx.table.row(  # noqa: E731
        rx.table.row_header_cell(item["label"]),
        rx.table.cell(item["now"], text_align="right"),
        rx.table.cell(item["projected"], text_align="right"),
    )
    return rx.card(
        rx.vstack(
            rx.heading("Invoice estimate", as_="h2", size="4"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(""),
                        rx.table.column_header_cell(
                            "So far", text_align="right", white_space="nowrap"
                        ),
                        rx.table.column_header_cell("Projected", text_align="right"),
                    )
                ),
                rx.table.body(
                    rx.foreach(BillingState.estimate, row),
                    rx.table.row(
                        rx.table.row_header_cell(rx.text("Total", weight="bold")),
                        rx.table.cell(
                            rx.text(BillingState.estimate_total, weight="bold"),
                            text_align="right",
                            id="estimate-total",
                        ),
                        rx.table.cell(
                            rx.text(BillingState.projected_total, weight="bold"),
                            text_align="right",
                        ),
                    ),
                ),
                size="1",
                width="100%",
            ),
            rx.text(
                "Estimates exclude taxes; Stripe's invoice is the final figure.",
                size="1",
                color=rx.color("gray", 11),
            ),
            width="100%",
            spacing="3",
        ),
        width="100%",
    )


def upgrade_option(plan: rx.Var) -> rx.Component:
    action = "upgrade:" + plan["name"].to(str)
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(plan["title"], weight="bold"),
                    rx.cond(
                        BillingState.chosen_plan == plan["name"],
                        rx.badge("Your choice", variant="soft", radius="full", id="chosen-plan"),
                    ),
                    spacing="2",
                    align="center",
                ),
                rx.text(plan["price"], size="2", color=rx.color("gray", 11)),
                spacing="0",
            ),
            rx.spacer(),
            rx.button(
                rx.cond(BillingState.busy == action, rx.spinner(size="1"), rx.fragment()),
                "Upgrade",
                on_click=BillingState.upgrade(plan["name"]),
                disabled=BillingState.busy != "",
                # With a plan chosen before sign-up, that one stands out.
                variant=rx.cond(
                    (BillingState.chosen_plan == "") | (BillingState.chosen_plan == plan["name"]),
                    "solid",
                    "soft",
                ),
                id="upgrade-" + plan["name"].to(str),
            ),
            align="center",
            width="100%",
        ),
        width="100%",
    )


def upgrades_section() -> rx.Component:
    return rx.cond(
        BillingState.can_manage_billing & (BillingState.upgrades.length() > 0),
        rx.vstack(
            rx.heading("Upgrade", as_="h2", size="4"),
            rx.grid(
                rx.foreach(BillingState.upgrades, upgrade_option),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            width="100%",
            spacing="3",
            id="upgrades",
        ),
    )


def field(
    label: str, name: str, value: rx.Var, placeholder: str, hint: rx.Var | str
) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=f"budget-{name}"),
        rx.input(
            name=name,
            id=f"budget-{name}",
            default_value=value,
            placeholder=placeholder,
            read_only=~BillingState.can_configure,
            width="100%",
        ),
        rx.text(hint, size="1", color=rx.color("gray", 11)),
        spacing="1",
        width="100%",
    )


def budgets_card() -> rx.Component:
    save = rx.cond(
        BillingState.can_configure,
        rx.hstack(
            rx.button(
                spinner_when("budgets"),
                "Save budgets",
                type="submit",
                disabled=BillingState.busy != "",
                id="save-budgets",
            ),
            justify="end",
            width="100%",
        ),
    )
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Budgets and alerts", as_="h2", size="4"),
                rx.text(
                    "Spent this period: ",
                    BillingState.spend_tokens,
                    " tokens, ",
                    BillingState.spend_usd,
                    ". Requests beyond a budget are refused with 429 insufficient_quota.",
                    size="2",
                ),
                rx.grid(
                    field(
                        "Monthly token budget",
                        "token_budget",
                        BillingState.token_budget,
                        "No limit",
                        "Empty: no token budget",
                    ),
                    field(
                        "Monthly USD budget",
                        "usd_budget",
                        BillingState.usd_budget,
                        "No limit",
                        "In dollars, e.g. 250",
                    ),
                    field(
                        "Alert thresholds (%)",
                        "thresholds",
                        BillingState.thresholds,
                        "50, 80, 100",
                        "Now: " + BillingState.thresholds_hint,
                    ),
                    field(
                        "Notification webhook",
                        "webhook_url",
                        BillingState.webhook_url,
                        "https://example.com/hooks/routerai",
                        BillingState.webhook_hint,
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    BillingState.budget_error != "",
                    rx.callout(
                        BillingState.budget_error,
                        icon="circle-alert",
                        color_scheme="red",
                        size="1",
                        width="100%",
                        id="budget-error",
                    ),
                ),
                save,
                spacing="3",
                width="100%",
            ),
            on_submit=BillingState.save_budgets,
            reset_on_submit=False,
            key=BillingState.token_budget + BillingState.usd_budget + BillingState.webhook_url,
            id="budget-form",
        ),
        width="100%",
    )


def alert_item(alert: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("bell-ring", size=16, color=rx.color("amber", 10)),
        rx.text(alert["label"], size="2", weight="medium"),
        rx.spacer(),
        rx.text(alert["when"], " ", alert["delivered"], size="1", color=rx.color("gray", 11)),
        width="100%",
        wrap="wrap",
        class_name="budget-alert",
    )


def alerts_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Alerts raised", as_="h2", size="4"),
            rx.cond(
                BillingState.alerts.length() > 0,
                rx.vstack(rx.foreach(BillingState.alerts, alert_item), width="100%", spacing="2"),
                rx.text("No budget alerts yet.", size="2", color=rx.color("gray", 11)),
            ),
            width="100%",
            spacing="3",
            id="alerts-list",
        ),
        width="100%",
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            BillingState.notice != "",
            rx.callout(
                BillingState.notice, icon="info", size="1", width="100%", id="checkout-notice"
            ),
        ),
        rx.cond(
            BillingState.action_error != "",
            rx.callout(
                BillingState.action_error,
                icon="circle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                id="billing-error",
            ),
        ),
        rx.cond(
            ~BillingState.can_manage_billing,
            rx.callout(
                "Only owners of this organization can change its plan or payment details.",
                icon="eye",
                size="1",
                width="100%",
                id="billing-view-only",
            ),
        ),
    )


def billing_page() -> rx.Component:
    error = load_error(BillingState.error, BillingState.retry)
    content = rx.vstack(
        past_due_banner(),
        messages(),
        rx.grid(
            plan_card(),
            estimate_card(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        upgrades_section(),
        budgets_card(),
        alerts_card(),
        spacing="4",
        width="100%",
    )
    body = rx.cond(
        BillingState.loading,
        rx.skeleton(height="16rem", width="100%"),
        rx.cond(BillingState.error != "", error, content),
    )
    return dashboard_shell(
        "billing",
        "Billing",
        "Your plan, this period's usage and invoice estimate, and your budgets.",
        body,
    )
