"""The docs page: snippets with the visitor's own key when signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx

from gateway.auth.permissions import PermissionDenied
from gateway.dashboard.snippets import placeholder_key, quickstart
from routerai_app.backend import services
from routerai_app.state.session import SessionState

DOCS_KEY_NAME = "Quickstart key"


class DocsState(SessionState):
    api_base_url: str = ""
    creating: bool = False
    key_error: str = ""

    @rx.var
    def key_placeholder(self) -> str:
        """Where the snippets put the key; a key just created here fills it in, in the page."""
        return placeholder_key(self.org_slug)

    @rx.var
    def snippets(self) -> list[dict[str, str]]:
        return [
            {"language": s.language, "label": s.label, "install": s.install, "code": s.code}
            for s in quickstart(self.api_base_url, self.key_placeholder)
        ]

    @rx.event
    async def load(self) -> None:
        self.api_base_url = services().api_base_url
        self.key_error = ""
        await self._ensure_viewer()

    @rx.event
    async def create_key(self) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._access()
        if access is None:
            yield rx.redirect("/login?next=/docs")
            return
        self.creating = True
        self.key_error = ""
        yield None
        try:
            issued = await services().keys.create(
                access,
                name=DOCS_KEY_NAME,
                environment="dev",
            )
        except PermissionDenied:
            self.key_error = "Your role cannot create keys; ask an owner or admin."
        else:
            yield self._show_once(issued.api_key)
            yield rx.toast.success("Key created. It is shown only here, once.")
        finally:
            self.creating = False
