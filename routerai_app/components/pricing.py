"""The pricing table, rendered from `gateway.billing.plans.PLANS`.

Every number shown comes from the plan table; this module only decides how a
plan looks.
"""

from urllib.parse import quote

import reflex as rx
from reflex_base.breakpoints import Breakpoints

from gateway.billing.errors import SALES_EMAIL
from gateway.billing.plans import PLANS, Plan, PlanName
from routerai_app.components.layout import link_button, section, section_heading

FEATURED_PLAN = PlanName.GROWTH
CONTACT_PRICE_LABEL = "Contact us"
CONTACT_SALES_HREF = f"mailto:{SALES_EMAIL}?subject={quote('RouterAI Enterprise')}"


def price_label(plan: Plan) -> str:
    """What the price line says: "$29", or "Contact us" for plans sold by contact."""
    return CONTACT_PRICE_LABEL if plan.sold_by_contact else f"${plan.monthly_price_usd:,}"


def overage_note(plan: Plan) -> str:
    """One line on what happens past the included tokens."""
    if plan.hard_cap:
        return "Hard cap, never a surprise bill"
    if plan.overage_usd_per_million is not None:
        return f"then ${plan.overage_usd_per_million} per 1M tokens"
    return "Volume pricing and invoicing"


def call_to_action(plan: Plan) -> rx.Component:
    if plan.sold_by_contact:
        return link_button("Contact sales", CONTACT_SALES_HREF, size="3", variant="outline")
    label = "Start free" if plan.monthly_price_usd == 0 else f"Choose {plan.title}"
    variant = "solid" if plan.name is FEATURED_PLAN else "outline"
    return link_button(
        label, f"/signup?plan={plan.name.value}", size="3", variant=variant, width="100%"
    )


def price(plan: Plan) -> rx.Component:
    per_month = (
        () if plan.sold_by_contact else (rx.text("/ month", size="2", color=rx.color("gray", 11)),)
    )
    return rx.vstack(
        rx.hstack(
            rx.text(price_label(plan), size="8", weight="bold", class_name="plan-price"),
            *per_month,
            align="baseline",
            spacing="1",
        ),
        rx.text(overage_note(plan), size="1", color=rx.color("gray", 11)),
        spacing="1",
    )


def feature_item(feature: str) -> rx.Component:
    return rx.hstack(
        rx.icon("check", size=16, color=rx.color("accent", 10), flex_shrink="0", margin_top="3px"),
        rx.text(feature, size="2"),
        align="start",
        spacing="2",
        margin_bottom="0.6rem",
        break_inside="avoid",
    )


def feature_list(plan: Plan, columns: str | Breakpoints = "1") -> rx.Component:
    """The plan's features, flowing down `columns` text columns."""
    return rx.box(
        *(feature_item(feature) for feature in plan.features),
        column_count=columns,
        column_gap="1.5rem",
        width="100%",
    )


def plan_header(plan: Plan) -> rx.Component:
    badge = (
        (rx.badge("Most popular", variant="solid", radius="full"),)
        if (plan.name is FEATURED_PLAN)
        else ()
    )
    return rx.hstack(
        rx.heading(plan.title, as_="h3", size="5"),
        *badge,
        align="center",
        justify="between",
        width="100%",
    )


def plan_card(plan: Plan) -> rx.Component:
    """A self-serve plan: name, price, call to action, then its features."""
    featured = plan.name is FEATURED_PLAN
    return rx.card(
        rx.vstack(
            plan_header(plan),
            price(plan),
            call_to_action(plan),
            rx.separator(size="4"),
            feature_list(plan),
            spacing="4",
            align="start",
        ),
        id=f"plan-{plan.name.value}",
        size="3",
        style={"outline": f"2px solid {rx.color('accent', 9)}"} if featured else {},
    )


def contact_plan_card(plan: Plan) -> rx.Component:
    """A plan sold through sales, as one wide row under the self-serve plans."""
    return rx.card(
        rx.grid(
            rx.vstack(
                plan_header(plan), price(plan), call_to_action(plan), spacing="4", align="start"
            ),
            feature_list(plan, columns=rx.breakpoints(initial="1", sm="2")),
            grid_template_columns=rx.breakpoints(initial="1fr", md="1fr 2fr"),
            gap="2rem",
        ),
        id=f"plan-{plan.name.value}",
        size="3",
    )


def plan_cards() -> rx.Component:
    """Every plan as a card: self-serve plans in a grid, plans sold by contact below."""
    self_serve = [plan for plan in PLANS.values() if not plan.sold_by_contact]
    by_contact = [plan for plan in PLANS.values() if plan.sold_by_contact]
    return rx.box(
        rx.grid(
            *(plan_card(plan) for plan in self_serve),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            gap="1.25rem",
        ),
        rx.box(*(contact_plan_card(plan) for plan in by_contact), margin_top="1.25rem"),
    )


def pricing() -> rx.Component:
    return section(
        section_heading(
            "Pricing",
            "Pay less than you save",
            "Start free. Upgrade when the savings show up on your bill.",
        ),
        plan_cards(),
        rx.center(
            link_button("Compare every plan", "/pricing", size="3", variant="soft"),
            margin_top="2rem",
        ),
        section_id="pricing",
    )
