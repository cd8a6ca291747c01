"""The usage page: a range of days, charts, a table grouped by day, provider or model, CSV."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import plotly.graph_objects as go
import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import PermissionDenied
from gateway.dashboard.figures import (
    CYAN,
    spend_figure,
    traffic_figure,
    usage_breakdown_figure,
)
from gateway.dashboard.kpis import compact
from gateway.dashboard.usage import (
    DEFAULT_PRESET,
    GROUPS,
    DayRange,
    UsageReport,
    csv_filename,
    display_row,
    display_usd,
    resolve_range,
    to_csv,
    usage_table,
)
from routerai_app.backend import services
from routerai_app.state.session import SessionState

log = logging.getLogger("routerai.web")


class UsageState(SessionState):
    preset: str = DEFAULT_PRESET
    start: str = ""
    end: str = ""
    range_label: str = ""
    range_error: str = ""
    group: str = "day"
    loading: bool = True
    busy: bool = False
    exporting: bool = False
    error: str = ""
    has_usage: bool = False
    cards: list[dict[str, str]] = []
    tables: dict[str, list[dict[str, str]]] = {}
    totals: dict[str, dict[str, str]] = {}
    traffic: go.Figure = go.Figure()
    spend: go.Figure = go.Figure()
    providers: go.Figure = go.Figure()
    models: go.Figure = go.Figure()
    # What the table shows, as CSV, per grouping: the export sends exactly this.
    _csv: dict[str, str] = {}
    _csv_names: dict[str, str] = {}

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        return self.tables.get(self.group, [])

    @rx.var
    def total(self) -> dict[str, str]:
        return self.totals.get(self.group, {})

    @rx.var
    def group_label(self) -> str:
        return {"day": "Day", "provider": "Provider", "model": "Model"}.get(self.group, "")

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        self.loading = not self.cards and not self.error
        return await self._refresh()

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        self.error = ""
        yield None
        yield await self._refresh()

    @rx.event
    async def set_preset(self, value: str | list[str]) -> AsyncIterator[rx.event.EventSpec | None]:
        name = value if isinstance(value, str) else (value[0] if value else DEFAULT_PRESET)
        if name == self.preset and name != "custom":
            return
        self.preset = name
        self.range_error = ""
        if name == "custom":  # wait for the dates; start from the range shown
            return
        self.busy = True
        yield None
        yield await self._refresh()

    @rx.event
    async def apply_custom(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        self.start = str(form.get("start", ""))
        self.end = str(form.get("end", ""))
        self.busy = True
        yield None
        yield await self._refresh()

    @rx.event
    def set_group(self, value: str | list[str]) -> None:
        name = value if isinstance(value, str) else (value[0] if value else "day")
        if name in GROUPS:
            self.group = name

    @rx.event
    async def export_csv(self) -> AsyncIterator[rx.event.EventSpec | None]:
        """Download the table as shown (its range and grouping), not a fresh query."""
        if self.group not in self._csv:
            return
        self.exporting = True
        yield None
        self.exporting = False
        yield rx.download(
            data=self._csv[self.group], filename=self._csv_names[self.group], mime_type="text/csv"
        )

    async def _refresh(self) -> rx.event.EventSpec | None:
        access = await self._access()
        if access is None:
            return self._login_redirect()
        reports = services().usage
        try:
            days = resolve_range(self.preset, today=reports.today(), start=self.start, end=self.end)
            report = await reports.report(access, days)
        except ValueError as exc:
            self.range_error = str(exc)[:1].upper() + str(exc)[1:] + "."
        except PermissionDenied:
            self.error = "Your role cannot view usage."
        except SQLAlchemyError:
            log.exception("loading usage failed")
            self.error = "Usage could not be loaded."
        else:
            self._show(report)
        self.loading = self.busy = False
        return None

    def _show(self, report: UsageReport) -> None:
        self.error = self.range_error = ""
        self.start, self.end = report.range.first.isoformat(), report.range.last.isoformat()
        self.range_label = _label(report.range)
        self.has_usage = report.has_usage
        totals = report.totals
        self.cards = [
            {"key": "requests", "label": "Requests", "value": compact(totals.requests),
             "detail": f"{totals.requests:,} in range"},
            {"key": "tokens", "label": "Tokens", "value": compact(totals.total_tokens),
             "detail": f"{compact(totals.prompt_tokens)} in · "
             f"{compact(totals.completion_tokens)} out"},
            {"key": "cost", "label": "Cost", "value": display_usd(totals.cost),
             "detail": "billed by providers"},
            {"key": "saved", "label": "Money saved", "value": display_usd(totals.saved),
             "detail": f"vs. {display_usd(totals.baseline_cost)} at your baseline model"},
        ]  # fmt: skip
        tables = {group: usage_table(report, group) for group in GROUPS}
        self.tables = {g: [display_row(r) for r in t.rows] for g, t in tables.items()}
        self.totals = {g: display_row(t.total) for g, t in tables.items()}
        self._csv = {g: to_csv(t) for g, t in tables.items()}
        self._csv_names = {g: csv_filename(t, report.range) for g, t in tables.items()}
        self.traffic = traffic_figure(report.days)
        self.spend = spend_figure(report.days)
        self.providers = usage_breakdown_figure(tables["provider"].rows)
        self.models = usage_breakdown_figure(tables["model"].rows)
        self.models.update_traces(selector={"name": "Cost"}, marker_color=CYAN)


def _label(days: DayRange) -> str:
    first, last = days.first, days.last
    if first == last:
        return first.strftime("%b %d, %Y")
    start = first.strftime("%b %d") if first.year == last.year else first.strftime("%b %d, %Y")
    return f"{start} to {last.strftime('%b %d, %Y')} · {days.days} days"
