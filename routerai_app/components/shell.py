"""The dashboard's shell: sidebar, header (organization switcher, user menu), content.

On phones the sidebar folds into a drawer behind the header's menu button. Until the
session has been checked the content shows a skeleton, never another user's data.
"""

from __future__ import annotations

import reflex as rx

from routerai_app.components.brand import brand
from routerai_app.state.session import SessionState

SIDEBAR_WIDTH = "248px"
NAV = (
    ("overview", "Overview", "layout-dashboard", "/dashboard"),
    ("usage", "Usage", "chart-column", "/dashboard/usage"),
    ("logs", "Request logs", "scroll-text", "/dashboard/logs"),
    ("keys", "API keys", "key-round", "/dashboard/keys"),
    ("routing", "Routing", "route", "/dashboard/routing"),
    ("providers", "Providers", "server", "/dashboard/providers"),
    ("cache", "Cache", "database-zap", "/dashboard/cache"),
    ("billing", "Billing", "credit-card", "/dashboard/billing"),
    ("settings", "Settings", "settings", "/dashboard/settings"),
    ("docs", "Documentation", "book-open", "/docs"),
)


def nav_item(key: str, label: str, icon: str, href: str, active: str) -> rx.Component:
    selected = key == active
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(label, size="2", weight="medium"),
            align="center",
            spacing="3",
            padding="0.55rem 0.75rem",
            border_radius="8px",
            background=rx.color("accent", 3) if selected else "transparent",
            color=rx.color("accent", 11) if selected else rx.color("gray", 11),
            _hover={"background": rx.color("gray", 3), "color": rx.color("gray", 12)},
        ),
        href=href,
        underline="none",
        aria_current="page" if selected else None,
        width="100%",
    )


def plan_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(SessionState.plan_label, variant="soft", radius="full"),
            rx.cond(
                SessionState.sandbox_mode,
                rx.tooltip(
                    rx.badge("Sandbox", color_scheme="amber", variant="soft", radius="full"),
                    content="No provider keys configured: a simulator answers every request.",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.link("Compare plans", href="/pricing", size="1", color=rx.color("gray", 11)),
        spacing="2",
        padding="0.75rem",
        border=f"1px solid {rx.color('gray', 4)}",
        border_radius="10px",
        width="100%",
    )


def nav(active: str) -> rx.Component:
    return rx.vstack(
        *(nav_item(*item, active=active) for item in NAV),
        spacing="1",
        width="100%",
    )


def sidebar(active: str) -> rx.Component:
    return rx.el.aside(
        rx.vstack(
            rx.box(brand(), padding="0.25rem 0.5rem 1rem"),
            nav(active),
            rx.spacer(),
            plan_box(),
            height="100%",
            padding="1rem",
            spacing="2",
        ),
        display=rx.breakpoints(initial="none", md="block"),
        position="fixed",
        top="0",
        left="0",
        bottom="0",
        width=SIDEBAR_WIDTH,
        border_right=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 1),
        z_index="20",
    )


def mobile_nav(active: str) -> rx.Component:
    return rx.drawer.root(
        rx.drawer.trigger(
            rx.icon_button(
                rx.icon("menu", size=20),
                variant="ghost",
                color_scheme="gray",
                aria_label="Open navigation",
            ),
        ),
        rx.drawer.overlay(z_index="40"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        brand(),
                        rx.spacer(),
                        rx.drawer.close(
                            rx.icon_button(
                                rx.icon("x", size=18),
                                variant="ghost",
                                color_scheme="gray",
                                aria_label="Close menu",
                            )
                        ),
                        width="100%",
                        align="center",
                    ),
                    nav(active),
                    rx.spacer(),
                    plan_box(),
                    height="100%",
                    spacing="4",
                    padding="1rem",
                ),
                top="0",
                left="0",
                height="100%",
                width="17rem",
                background=rx.color("gray", 1),
                z_index="50",
            )
        ),
        direction="left",
    )


def menu_label(text: str | rx.Var[str]) -> rx.Component:
    return rx.text(
        text, size="1", color=rx.color("gray", 10), padding="0.25rem 0.75rem", weight="medium"
    )


def org_item(org: rx.Var) -> rx.Component:
    return rx.dropdown_menu.item(
        rx.hstack(
            rx.text(org["name"], size="2", trim="both"),
            rx.spacer(),
            rx.text(org["role"], size="1", color=rx.color("gray", 10)),
            rx.cond(
                org["id"] == SessionState.org_id,
                rx.icon("check", size=14),
                rx.box(width="14px"),
            ),
            width="100%",
            align="center",
            spacing="3",
        ),
        on_click=SessionState.switch_org(org["id"]),
        min_width="14rem",
    )


def org_switcher() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                rx.center(
                    rx.text(SessionState.org_name[0:1].upper(), size="1", weight="bold"),
                    width="22px",
                    height="22px",
                    border_radius="6px",
                    background=rx.color("accent", 9),
                    color="white",
                ),
                rx.text(
                    SessionState.org_name,
                    size="2",
                    weight="medium",
                    max_width=rx.breakpoints(initial="8rem", sm="16rem"),
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                ),
                rx.icon("chevrons-up-down", size=14, color=rx.color("gray", 10)),
                variant="ghost",
                color_scheme="gray",
                id="org-switcher",
                aria_label="Switch organization",
            ),
        ),
        rx.dropdown_menu.content(
            menu_label("Organizations"),
            rx.foreach(SessionState.orgs, org_item),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item(
                rx.hstack(rx.icon("plus", size=14), rx.text("New organization"), spacing="2"),
                on_click=rx.redirect("/onboarding?new=1"),
            ),
        ),
    )


def user_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                rx.avatar(fallback=SessionState.initials, size="2", radius="full"),
                variant="ghost",
                radius="full",
                padding="0",
                aria_label="Account menu",
                id="user-menu",
            ),
        ),
        rx.dropdown_menu.content(
            menu_label(SessionState.user_email),
            rx.dropdown_menu.item(
                rx.hstack(rx.icon("book-open", size=14), rx.text("Documentation"), spacing="2"),
                on_click=rx.redirect("/docs"),
            ),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item(
                rx.hstack(rx.icon("log-out", size=14), rx.text("Log out"), spacing="2"),
                # A document navigation: /logout is an HTTP route, not a page.
                on_click=rx.call_script("window.location.assign('/logout')"),
                color="red",
            ),
            align="end",
        ),
    )


def header(active: str) -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.box(mobile_nav(active), display=rx.breakpoints(initial="block", md="none")),
            rx.cond(
                SessionState.signed_in, org_switcher(), rx.skeleton(width="9rem", height="1.5rem")
            ),
            rx.spacer(),
            rx.color_mode.button(variant="ghost", size="2", aria_label="Toggle dark mode"),
            rx.cond(SessionState.signed_in, user_menu()),
            align="center",
            spacing="3",
            width="100%",
        ),
        position="sticky",
        top="0",
        z_index="15",
        padding_x=rx.breakpoints(initial="1rem", sm="1.5rem"),
        height="3.5rem",
        display="flex",
        align_items="center",
        background=rx.color("gray", 1, alpha=True),
        backdrop_filter="blur(12px)",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def page_heading(title: str, subtitle: str, actions: rx.Component | None) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, as_="h1", size=rx.breakpoints(initial="6", sm="7")),
            rx.text(subtitle, size="2", color=rx.color("gray", 11)),
            spacing="1",
        ),
        rx.spacer(),
        *((actions,) if actions is not None else ()),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="1rem",
        align=rx.breakpoints(initial="start", sm="end"),
        width="100%",
    )


def load_error(
    message: rx.Var[str], retry: rx.event.EventType[()], **props: object
) -> rx.Component:
    """A page's data could not be loaded: what happened, and a way to try again."""
    return rx.callout(
        rx.hstack(
            rx.text(message),
            rx.button("Retry", size="1", variant="soft", on_click=retry),
            align="center",
            spacing="3",
        ),
        icon="circle-alert",
        color_scheme="red",
        size="1",
        width="100%",
        **props,
    )


def content_skeleton() -> rx.Component:
    return rx.vstack(
        rx.grid(
            *(rx.skeleton(height="6rem") for _ in range(4)),
            columns=rx.breakpoints(initial="2", md="4"),
            gap="1rem",
            width="100%",
        ),
        rx.skeleton(height="18rem", width="100%"),
        spacing="4",
        width="100%",
        aria_busy="true",
    )


def dashboard_shell(
    active: str,
    title: str,
    subtitle: str,
    *content: rx.Component,
    actions: rx.Component | None = None,
) -> rx.Component:
    """The signed-in page frame; `content` shows once the session is confirmed."""
    return rx.box(
        sidebar(active),
        rx.box(
            header(active),
            rx.el.main(
                rx.vstack(
                    page_heading(title, subtitle, actions),
                    rx.cond(
                        SessionState.signed_in,
                        rx.vstack(*content, spacing="5", width="100%"),
                        content_skeleton(),
                    ),
                    spacing="5",
                    width="100%",
                    max_width="1200px",
                    margin_x="auto",
                ),
                padding=rx.breakpoints(initial="1rem", sm="1.5rem", lg="2rem"),
            ),
            margin_left=rx.breakpoints(initial="0", md=SIDEBAR_WIDTH),
            min_width="0",
        ),
        min_height="100vh",
        background=rx.color("gray", 1),
    )
