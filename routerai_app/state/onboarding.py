"""Onboarding: name an organization (GitHub newcomers), then the first key, shown once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from gateway.auth.accounts import SignUpError
from gateway.dashboard.snippets import placeholder_key, quickstart
from routerai_app.backend import services
from routerai_app.state.auth import chosen_plan
from routerai_app.state.session import SessionState


class OnboardingState(SessionState):
    loading: bool = True
    creating: bool = False
    error: str = ""
    api_base_url: str = ""
    new_requested: bool = False
    # The paid plan chosen before sign-up: the last step offers its checkout.
    chosen_plan: str = ""
    chosen_plan_title: str = ""

    @rx.var
    def needs_org(self) -> bool:
        return self.signed_in and (not self.org_id or self.new_requested) and not self.key_showing

    @rx.var
    def key_placeholder(self) -> str:
        """Where the snippets put the key; the first key fills it in, in the page."""
        return placeholder_key(self.org_slug)

    @rx.var
    def snippets(self) -> list[dict[str, str]]:
        return [
            {"language": s.language, "label": s.label, "install": s.install, "code": s.code}
            for s in quickstart(self.api_base_url, self.key_placeholder)
        ]

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.api_base_url = services().api_base_url
        self.new_requested = self.router.url.query_parameters.get("new") == "1"
        chosen = chosen_plan(self.router.url.query_parameters.get("plan"))
        self.chosen_plan = chosen.name.value if chosen else ""
        self.chosen_plan_title = chosen.title if chosen else ""
        self.error = ""
        viewer = await self._ensure_viewer()
        self.loading = False
        if viewer is None:
            return self._login_redirect()
        return None

    @rx.event
    async def create_org(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        token = self._session_token()
        if token is None:
            yield self._login_redirect()
            return
        self.creating = True
        self.error = ""
        yield None
        try:
            created = await services().auth.create_organization(
                token, str(form.get("org_name", ""))
            )
        except SignUpError as exc:
            self.error = exc.message
            self.creating = False
            return
        except PermissionError:
            self.creating = False
            yield self._login_redirect()
            return
        self.new_requested = False
        self.org_id = str(created.org_id)
        await self._ensure_viewer()
        self.creating = False
        yield self._show_once(created.api_key)

    @rx.event
    def finish(self) -> list[rx.event.EventSpec]:
        return [self._key_shown(), rx.redirect("/dashboard")]

    @rx.event
    def upgrade(self) -> list[rx.event.EventSpec]:
        """On to the billing page, which offers the plan chosen before sign-up."""
        return [self._key_shown(), rx.redirect(f"/dashboard/billing?plan={self.chosen_plan}")]
