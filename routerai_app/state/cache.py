"""The cache page: hit rate, tiers, savings and size; the settings; clearing. Rules live in
`gateway.dashboard.cache`; this state shows the service's answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import plotly.graph_objects as go
import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import PermissionDenied
from gateway.billing.plans import CacheTier
from gateway.dashboard.cache import CacheReport, CacheSettingsForm
from gateway.dashboard.figures import cache_tiers_figure, hit_rate_figure
from gateway.dashboard.kpis import usd
from routerai_app.backend import services
from routerai_app.state.session import SessionState

NOT_ALLOWED = "Your role can view the cache but not change it."
TTL_CHOICES = {
    "300": "5 minutes",
    "3600": "1 hour",
    "21600": "6 hours",
    "86400": "1 day",
    "604800": "7 days",
    "2592000": "30 days",
}
log = logging.getLogger("routerai.web")


def size_label(n_bytes: int) -> str:
    """ "0 B", "12.3 KB", "4.5 MB"."""
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def report_cards(report: CacheReport) -> list[dict[str, str]]:
    rate = report.hit_rate
    hits = sum(d.hits for d in report.days)
    return [
        {
            "key": "hit-rate",
            "label": "Hit rate",
            "value": "—" if rate is None else f"{rate:.0%}",
            "detail": f"{hits:,} hits in {len(report.days)} days",
        },
        {
            "key": "saved",
            "label": "Money saved",
            "value": usd(report.saved_micro),
            "detail": "What the cached answers cost the first time",
        },
        {
            "key": "entries",
            "label": "Entries",
            "value": f"{report.entries:,}",
            "detail": "Cached answers alive now",
        },
        {
            "key": "memory",
            "label": "Memory",
            "value": size_label(report.memory_bytes),
            "detail": "Held in Redis for your organization",
        },
    ]


class CacheState(SessionState):
    loading: bool = True
    error: str = ""
    busy: bool = False
    dirty: bool = False
    form_error: str = ""
    tier: str = ""
    tier_note: str = ""
    has_hits: bool = False
    cards: list[dict[str, str]] = []
    hit_rate: go.Figure = go.Figure()
    tiers: go.Figure = go.Figure()
    enabled: bool = True
    threshold: int = 92
    ttl: str = "86400"
    ttl_choices: dict[str, str] = TTL_CHOICES
    max_temperature: float = 0.7
    confirm_open: bool = False
    clear_error: str = ""

    @rx.var
    def locked(self) -> bool:
        return self.busy or not self.can_configure or self.tier == CacheTier.NONE.value

    @rx.var
    def semantic(self) -> bool:
        return self.tier == CacheTier.SEMANTIC.value

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        if (leave := await self._enter_dashboard()) is not None:
            return leave
        return await self._reload()

    @rx.event
    async def retry(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        yield None
        yield await self._reload()

    async def _reload(self, keep_form: bool = False) -> rx.event.EventSpec | None:
        access = await self._access()
        if access is None:
            return self._login_redirect()
        try:
            report = await services().cache.report(access)
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("loading the cache report failed")
            self.error = "The cache figures could not be loaded."
        else:
            self._show(report, keep_form)
            self.error = ""
        self.loading = False
        return None

    def _show(self, report: CacheReport, keep_form: bool) -> None:
        self.tier = report.tier.value
        self.tier_note = report.tier_note
        self.cards = report_cards(report)
        self.has_hits = report.exact_hits + report.semantic_hits > 0
        self.hit_rate = hit_rate_figure(report.days)
        self.tiers = cache_tiers_figure(report.exact_hits, report.semantic_hits)
        if keep_form:
            return
        settings = report.settings
        self.enabled = settings.enabled
        self.threshold = round(settings.threshold * 100)
        self.ttl = str(settings.ttl_s)
        if self.ttl not in TTL_CHOICES:
            self.ttl_choices = {**TTL_CHOICES, self.ttl: f"{settings.ttl_s:,} seconds"}
        self.max_temperature = settings.max_temperature
        self.dirty = False
        self.form_error = ""

    # -- the settings form ----------------------------------------------------------------

    @rx.event
    def set_enabled(self, value: bool) -> None:
        self.enabled = bool(value)
        self._changed()

    @rx.event
    def set_threshold(self, value: list[int | float] | int | float) -> None:
        self.threshold = round(float(value[0] if isinstance(value, list) else value))
        self._changed()

    @rx.event
    def set_ttl(self, value: str) -> None:
        self.ttl = value
        self._changed()

    @rx.event
    def set_max_temperature(self, value: list[int | float] | int | float) -> None:
        number = float(value[0] if isinstance(value, list) else value)
        self.max_temperature = round(number, 1)
        self._changed()

    def _changed(self) -> None:
        self.dirty = True
        self.form_error = ""

    @rx.event
    async def save(self, _form: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.busy = True
        self.form_error = ""
        yield None
        form = CacheSettingsForm(
            self.enabled, self.threshold / 100, int(self.ttl), self.max_temperature
        )
        try:
            await services().cache.save_settings(access, form)
        except PermissionDenied:
            self.form_error = NOT_ALLOWED
        except ValueError as exc:
            self.form_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("saving cache settings failed")
            self.form_error = "Something went wrong and nothing was changed. Please try again."
        else:
            yield rx.toast.success(
                "Cache settings saved. New requests use them within a second.",
                position="bottom-right",
            )
            await self._reload()
        finally:
            self.busy = False

    # -- clearing -------------------------------------------------------------------------

    @rx.event
    def open_confirm(self) -> None:
        self.confirm_open = True
        self.clear_error = ""

    @rx.event
    def close_confirm(self, open_: bool = False) -> None:
        if not open_ and not self.busy:
            self.confirm_open = False

    @rx.event
    async def clear(self) -> AsyncIterator[Any]:
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.busy = True
        self.clear_error = ""
        yield None
        try:
            removed = await services().cache.clear(access)
        except PermissionDenied:
            self.clear_error = NOT_ALLOWED
        except (RedisError, LookupError):
            log.exception("clearing the cache failed")
            self.clear_error = "The cache could not be cleared. Please try again."
        else:
            self.confirm_open = False
            noun = "answer" if removed == 1 else "answers"
            yield rx.toast.success(f"Cleared {removed:,} cached {noun}.", position="bottom-right")
            await self._reload(keep_form=True)
        finally:
            self.busy = False


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
