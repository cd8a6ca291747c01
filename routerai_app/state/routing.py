"""The routing page: a draft of the settings, a preview of it, saving it. Rules live in
`gateway.dashboard.routing`; this state only holds the draft and shows the service's answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import PermissionDenied
from gateway.dashboard.routing import (
    WEIGHT_NAMES,
    PreviewRow,
    RoutingDraft,
    RoutingView,
    percent_weights,
    rebalance,
)
from routerai_app.backend import services
from routerai_app.state.session import SessionState

NOT_ALLOWED = "Your role can view the routing settings but not change them."
log = logging.getLogger("routerai.web")


def preview_view(row: PreviewRow) -> dict[str, str]:
    excerpt = row.prompt if len(row.prompt) <= 90 else row.prompt[:87].rstrip() + "…"
    return {
        "label": row.label,
        "prompt": excerpt,
        "complexity": row.complexity.capitalize(),
        "chosen": row.chosen,
        "fallbacks": ", ".join(row.fallbacks) or "None",
        "error": row.error,
    }


class RoutingState(SessionState):
    loading: bool = True
    error: str = ""
    busy: bool = False
    dirty: bool = False
    form_error: str = ""
    plan: str = ""
    custom_allowed: bool = False
    presets: dict[str, dict[str, int]] = {}
    strategy: str = "balanced"
    w_cost: int = 40
    w_quality: int = 35
    w_latency: int = 25
    prefer_local: bool = False
    baseline_model: str = "gpt-4o"
    baseline_models: list[str] = []
    providers: list[str] = []
    allowed_providers: list[str] = []
    models: list[dict[str, str]] = []
    restrict_models: bool = False
    allowed_models: list[str] = []
    custom_prompt: str = ""
    previewing: bool = False
    preview_error: str = ""
    preview_rows: list[dict[str, str]] = []

    @rx.var
    def visible_models(self) -> list[dict[str, str]]:
        return [m for m in self.models if m["provider"] in self.allowed_providers]

    @rx.var
    def locked(self) -> bool:
        """Controls are read-only: a role that may not configure, or a change in flight."""
        return self.busy or not self.can_configure

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

    async def _reload(self) -> rx.event.EventSpec | None:
        access = await self._access()
        if access is None:
            return self._login_redirect()
        try:
            view = await services().routing.view(access)
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("loading the routing settings failed")
            self.error = "The routing settings could not be loaded."
        else:
            self._show(view)
            self.error = ""
        self.loading = False
        return None

    def _show(self, view: RoutingView) -> None:
        saved = view.saved
        self.plan = view.plan
        self.custom_allowed = view.custom_allowed
        self.presets = {name: dict(w) for name, w in view.presets.items()}
        self.strategy = saved.strategy
        self._set_weights(percent_weights(saved.weights))
        if saved.strategy in self.presets:
            self._set_weights(self.presets[saved.strategy])
        self.prefer_local = saved.prefer_local
        self.baseline_model = saved.baseline_model
        self.baseline_models = list(view.baseline_models)
        self.providers = list(view.providers)
        self.allowed_providers = list(saved.allowed_providers or view.providers)
        self.models = [
            {"id": m.id, "provider": m.provider, "label": f"{m.provider} · {m.id}"}
            for m in view.models
        ]
        self.restrict_models = saved.allowed_models is not None
        self.allowed_models = list(saved.allowed_models or ())
        self.dirty = False
        self.form_error = ""

    def _set_weights(self, weights: dict[str, int]) -> None:
        self.w_cost = weights["cost"]
        self.w_quality = weights["quality"]
        self.w_latency = weights["latency"]

    def _weights(self) -> dict[str, int]:
        return {"cost": self.w_cost, "quality": self.w_quality, "latency": self.w_latency}

    def _changed(self) -> None:
        self.dirty = True
        self.form_error = ""

    # -- editing the draft ----------------------------------------------------------------

    @rx.event
    def set_strategy(self, value: str | list[str]) -> None:
        name = value if isinstance(value, str) else (value[0] if value else "")
        if not name or name == self.strategy:
            return
        self.strategy = name
        if name in self.presets:
            self._set_weights(self.presets[name])
        self._changed()

    @rx.event
    def set_weight(self, name: str, value: list[int | float] | int | float) -> None:
        number = value[0] if isinstance(value, list) else value
        if name not in WEIGHT_NAMES:
            return
        self._set_weights(rebalance(self._weights(), name, round(float(number))))
        self.strategy = "custom"
        self._changed()

    @rx.event
    def set_prefer_local(self, value: bool) -> None:
        self.prefer_local = bool(value)
        self._changed()

    @rx.event
    def set_baseline(self, value: str) -> None:
        self.baseline_model = value
        self._changed()

    @rx.event
    def toggle_provider(self, name: str, checked: bool) -> None:
        chosen = set(self.allowed_providers) - {name} | ({name} if checked else set())
        self.allowed_providers = [p for p in self.providers if p in chosen]
        self._changed()

    @rx.event
    def set_restrict_models(self, value: bool) -> None:
        self.restrict_models = bool(value)
        if value and not self.allowed_models:
            self.allowed_models = [m["id"] for m in self.visible_models]
        self._changed()

    @rx.event
    def toggle_model(self, model_id: str, checked: bool) -> None:
        chosen = set(self.allowed_models) - {model_id} | ({model_id} if checked else set())
        self.allowed_models = [m["id"] for m in self.models if m["id"] in chosen]
        self._changed()

    @rx.event
    def set_custom_prompt(self, value: str) -> None:
        self.custom_prompt = value

    @rx.event
    async def discard(self) -> AsyncIterator[rx.event.EventSpec | None]:
        self.loading = True
        yield None
        yield await self._reload()

    def _draft(self) -> RoutingDraft:
        offered = set(self.providers)
        providers = tuple(p for p in self.providers if p in self.allowed_providers)
        visible = {m["id"] for m in self.visible_models}
        models = tuple(dict.fromkeys(m for m in self.allowed_models if m in visible))
        return RoutingDraft(
            strategy=self.strategy,
            weights=self._weights(),
            prefer_local=self.prefer_local,
            baseline_model=self.baseline_model,
            allowed_providers=None if set(providers) == offered else providers,
            allowed_models=models if self.restrict_models else None,
        )

    # -- preview and save -----------------------------------------------------------------

    @rx.event
    async def preview(self) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.previewing = True
        self.preview_error = ""
        yield None
        try:
            rows = await services().routing.preview(access, self._draft(), self.custom_prompt)
        except ValueError as exc:
            self.preview_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("previewing routing failed")
            self.preview_error = "The preview could not be run. Please try again."
        else:
            self.preview_rows = [preview_view(row) for row in rows]
        finally:
            self.previewing = False

    @rx.event
    async def save(self, _form: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.busy = True
        self.form_error = ""
        yield None
        try:
            await services().routing.save(access, self._draft())
        except PermissionDenied:
            self.form_error = NOT_ALLOWED
        except ValueError as exc:
            self.form_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError, LookupError):
            log.exception("saving routing settings failed")
            self.form_error = "Something went wrong and nothing was changed. Please try again."
        else:
            yield rx.toast.success(
                "Routing saved. New requests use it within a second.", position="bottom-right"
            )
            await self._reload()
        finally:
            self.busy = False


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
