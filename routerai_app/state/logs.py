"""The request log page: filters, keyset pages (older / newer), one request's details."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.kpis import milliseconds
from gateway.dashboard.logs import (
    LogDetail,
    LogFilter,
    LogPage,
    LogRow,
    since_for,
)
from gateway.dashboard.usage import display_usd
from routerai_app.backend import services
from routerai_app.state.session import SessionState

ANY = "any"
FILTERS = ("time_range", "status", "provider", "model", "key", "cache")
log = logging.getLogger("routerai.web")


def status_tone(code: int) -> str:
    return "ok" if code < 400 else "client" if code < 500 else "server"


def row_view(row: LogRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "request_id": row.request_id,
        "time": row.created_at.strftime("%b %d, %H:%M:%S"),
        "status": str(row.status_code),
        "tone": status_tone(row.status_code),
        "model": row.model_used or row.model_requested,
        "provider": row.provider or "—",
        "tokens": f"{row.total_tokens:,}",
        "cost": display_usd(row.cost),
        "latency": milliseconds(row.latency_ms),
        "cache": row.cache_status,
        "key": row.key_name or "—",
    }


def detail_view(detail: LogDetail) -> dict[str, str]:
    row, routing = detail.row, detail.routing or {}
    similarity = detail.cache_similarity
    return {
        **row_view(row),
        "when": row.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "model_requested": row.model_requested,
        "model_used": row.model_used or "—",
        "prompt_tokens": f"{detail.prompt_tokens:,}",
        "completion_tokens": f"{detail.completion_tokens:,}",
        "baseline_cost": display_usd(detail.baseline_cost),
        "saved": display_usd(detail.saved),
        "ttfb": milliseconds(detail.ttfb_ms),
        "error": detail.error_type or "",
        "streamed": "Yes" if row.streamed else "No",
        "cache_detail": row.cache_status
        + ("" if similarity is None else f" (similarity {similarity:.3f})"),
        "route_class": str(routing.get("class", "—")),
        "strategy": str(routing.get("strategy", "—")),
        "chosen": str(routing.get("chosen", "—")),
        "attempts": str(routing.get("attempts", "—")),
        "routing_json": json.dumps(detail.routing, indent=2) if detail.routing else "",
    }


class LogsState(SessionState):
    time_range: str = "24h"
    status: str = ANY
    provider: str = ANY
    model: str = ANY
    key: str = ANY
    cache: str = ANY
    provider_options: list[str] = []
    model_options: list[str] = []
    key_options: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    # Cursors of the pages before this one (newest first); "" is the first page.
    cursors: list[str] = []
    cursor: str = ""
    next_cursor: str = ""
    loading: bool = True
    busy: bool = False
    error: str = ""
    detail_open: bool = False
    detail_loading: bool = False
    detail_error: str = ""
    detail: dict[str, str] = {}
    candidates: list[dict[str, str]] = []
    fallbacks: list[dict[str, str]] = []

    @rx.var
    def page_number(self) -> int:
        return len(self.cursors) + 1

    @rx.var
    def filtered(self) -> bool:
        return any(getattr(self, name) != ANY for name in FILTERS[1:])

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        self.loading = not self.rows and not self.error
        actor = await self._access()
        if actor is None:
            return self._login_redirect()
        await self._load_options(actor)
        return await self._fetch(self.cursor)

    @rx.event
    async def set_filter(self, name: str, value: str) -> AsyncIterator[rx.event.EventSpec | None]:
        if name not in FILTERS or getattr(self, name) == value:
            return
        setattr(self, name, value)
        self.cursors, self.cursor = [], ""
        self.busy = True
        yield None
        yield await self._fetch("")

    @rx.event
    async def clear_filters(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.status = self.provider = self.model = self.key = self.cache = ANY
        self.cursors, self.cursor = [], ""
        self.busy = True
        yield None
        yield await self._fetch("")

    @rx.event
    async def older(self) -> AsyncIterator[rx.event.EventSpec | None]:
        if not self.next_cursor or self.busy:
            return
        self.busy = True
        yield None
        self.cursors = [*self.cursors, self.cursor]
        yield await self._fetch(self.next_cursor)

    @rx.event
    async def newer(self) -> AsyncIterator[rx.event.EventSpec | None]:
        if not self.cursors or self.busy:
            return
        self.busy = True
        yield None
        previous = self.cursors[-1]
        self.cursors = self.cursors[:-1]
        yield await self._fetch(previous)

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        self.error = ""
        yield None
        yield await self._fetch(self.cursor)

    @rx.event
    async def open_detail(self, log_id: str) -> AsyncIterator[rx.event.EventSpec | None]:
        self.detail_open = True
        self.detail_loading = True
        self.detail_error = ""
        yield None
        actor = await self._access()
        if actor is None:
            yield self._login_redirect()
            return
        try:
            detail = await services().request_logs.detail(actor, int(log_id))
        except (LookupError, ValueError):
            self.detail_error = "This request is not in your organization's log."
        except SQLAlchemyError:
            log.exception("loading a request's details failed")
            self.detail_error = "The details could not be loaded. Please try again."
        else:
            self._show_detail(detail)
        self.detail_loading = False

    @rx.event
    def set_detail_open(self, open_: bool) -> None:
        self.detail_open = open_

    async def _load_options(self, actor: Actor) -> None:
        try:
            options = await services().request_logs.options(actor)
        except SQLAlchemyError:
            log.exception("loading the log filters failed")
            return
        self.provider_options = list(options.providers)
        self.model_options = list(options.models)
        self.key_options = [{"id": str(k.id), "label": k.label} for k in options.keys]

    async def _fetch(self, cursor: str) -> rx.event.EventSpec | None:
        actor = await self._access()
        if actor is None:
            return self._login_redirect()
        try:
            page = await services().request_logs.page(actor, self._filter(), cursor=cursor or None)
        except ValueError:  # a stale or hand-edited filter or cursor: start over
            self.cursors, self.cursor, self.next_cursor, self.rows = [], "", "", []
            self.status = self.provider = self.model = self.key = self.cache = ANY
            self.error = "Those filters could not be applied; showing the newest requests."
        except PermissionDenied:
            self.error = "Your role cannot view the request log."
        except SQLAlchemyError:
            log.exception("loading the request log failed")
            self.error = "The request log could not be loaded."
        else:
            self._show(page, cursor)
        self.loading = self.busy = False
        return None

    def _filter(self) -> LogFilter:
        def chosen(value: str) -> str | None:
            return None if value == ANY else value

        return LogFilter(
            since=since_for(self.time_range, datetime.now(UTC)),
            status=chosen(self.status),
            provider=chosen(self.provider),
            model=chosen(self.model),
            api_key_id=uuid.UUID(self.key) if self.key != ANY else None,
            cache=chosen(self.cache),
        )

    def _show(self, page: LogPage, cursor: str) -> None:
        self.error = ""
        self.cursor = cursor
        self.rows = [row_view(row) for row in page.rows]
        self.next_cursor = page.next_cursor or ""

    def _show_detail(self, detail: LogDetail) -> None:
        self.detail = detail_view(detail)
        routing = detail.routing or {}
        self.candidates = [
            {
                "target": str(c.get("target", "")),
                "source": str(c.get("source", "")),
                "score": f"{float(c.get('score', 0)):.3f}",
            }
            for c in routing.get("candidates", [])
            if isinstance(c, dict)
        ]
        self.fallbacks = [{"candidate": f.candidate, "error": f.error} for f in detail.fallbacks]
