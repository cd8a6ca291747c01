"""The overview page: figures for a range, refreshed every few seconds while it is open."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import plotly.graph_objects as go
import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from gateway.dashboard.figures import CYAN, ranking_figure, spend_figure, traffic_figure
from gateway.dashboard.kpis import kpis, usd
from gateway.dashboard.overview import DEFAULT_RANGE, RANGES, Overview, load_overview
from gateway.dashboard.snippets import placeholder_key, quickstart
from routerai_app.backend import services
from routerai_app.state.session import SessionState

REFRESH_MS = 2_000
log = logging.getLogger("routerai.web")


class OverviewState(SessionState):
    range_name: str = DEFAULT_RANGE
    loading: bool = True
    refreshing: bool = False
    error: str = ""
    has_traffic: bool = False
    updated_at: str = ""
    cards: list[dict[str, str]] = []
    traffic: go.Figure = go.Figure()
    spend: go.Figure = go.Figure()
    models: go.Figure = go.Figure()
    providers: go.Figure = go.Figure()
    saved_summary: str = ""
    api_base_url: str = ""

    @rx.var
    def key_placeholder(self) -> str:
        """Where the snippets put the key; a key just created in this page fills it in."""
        return placeholder_key(self.org_slug)

    @rx.var
    def first_request(self) -> list[dict[str, str]]:
        return [
            {"language": s.language, "label": s.label, "install": s.install, "code": s.code}
            for s in quickstart(self.api_base_url, self.key_placeholder)
        ]

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.api_base_url = services().api_base_url
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        self.loading = not self.cards
        await self._refresh()
        return None

    @rx.event
    async def set_range(self, value: str | list[str]) -> AsyncIterator[None]:
        name = value if isinstance(value, str) else (value[0] if value else DEFAULT_RANGE)
        if name in RANGES and name != self.range_name:
            self.range_name = name
            self.loading = True
            yield
            await self._refresh()

    @rx.event
    async def tick(self, _: str = "") -> rx.event.EventSpec | None:
        """A periodic refresh; sends a signed-out visitor to the login page."""
        if self.loading or self.refreshing:
            return None
        access = await self._access()
        if access is None:
            return self._login_redirect()
        self.refreshing = True
        try:
            if not self.signed_in:  # a stale page of this tab signed the shell out
                await self._ensure_viewer()
            await self._refresh(access.org_id)
        finally:
            self.refreshing = False
        return None

    async def _refresh(self, org_id: uuid.UUID | None = None) -> None:
        target = org_id or self._current_org()
        if target is None:
            return
        try:
            overview = await asyncio.to_thread(
                load_overview,
                services().engine,
                org_id=target,
                days=RANGES[self.range_name],
                now=datetime.now(UTC),
            )
        except SQLAlchemyError:  # shown as an error state; the next tick tries again
            log.exception("loading the overview failed")
            self.error = "The latest numbers could not be loaded. Retrying…"
            self.loading = False
            return
        self._show(overview)

    def _show(self, overview: Overview) -> None:
        self.error = ""
        self.loading = False
        self.has_traffic = overview.has_traffic
        self.updated_at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        self.cards = [
            {"key": k.key, "label": k.label, "value": k.value, "detail": k.detail, "icon": k.icon}
            for k in kpis(overview)
        ]
        self.saved_summary = usd(overview.saved)
        self.traffic = traffic_figure(overview.days)
        self.spend = spend_figure(overview.days)
        self.models = ranking_figure(overview.top_models)
        self.providers = ranking_figure(overview.top_providers, color=CYAN)
