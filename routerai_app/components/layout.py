"""Page-width sections shared by the marketing pages."""

import reflex as rx

CONTENT_WIDTH = "1120px"


def section(*children: rx.Component, section_id: str, **props: object) -> rx.Component:
    """A full-width band whose content is centred at the site's content width."""
    return rx.el.section(
        rx.box(*children, max_width=CONTENT_WIDTH, margin_x="auto", width="100%"),
        id=section_id,
        padding_x=rx.breakpoints(initial="1.25rem", sm="2rem"),
        padding_y=rx.breakpoints(initial="3.5rem", md="5rem"),
        width="100%",
        **props,
    )


def section_heading(eyebrow: str, title: str, subtitle: str) -> rx.Component:
    """The centred eyebrow, title and one-line subtitle that open a section."""
    return rx.vstack(
        rx.text(
            eyebrow,
            size="2",
            weight="bold",
            color=rx.color("accent", 11),
            text_transform="uppercase",
            letter_spacing="0.08em",
        ),
        rx.heading(title, as_="h2", size=rx.breakpoints(initial="7", md="8"), text_align="center"),
        rx.text(
            subtitle, size="4", color=rx.color("gray", 11), text_align="center", max_width="40rem"
        ),
        align="center",
        spacing="3",
        margin_bottom="3rem",
    )


def plain_link(*children: rx.Component | str, href: str, **props: object) -> rx.Component:
    """A themed link the browser follows itself: a page load, or an in-page anchor.

    Reflex links route on the client by default, which cannot reach the gateway's
    JSON routes such as /health.
    """
    return rx.link(*children, href=href, reload_document=True, **props)


def link_button(label: str, href: str, **props: object) -> rx.Component:
    """A button that navigates to `href` the way `plain_link` does."""
    return rx.button(rx.el.a(label, href=href, reload_document=True), as_child=True, **props)
