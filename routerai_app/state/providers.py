"""The providers page: health, the organization's own keys, and built-in benchmarks.

Roles, validation and organization scope live in the services; this state shows their
answers. A running benchmark is followed by polling its row about once a second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.credentials.check import (
    CredentialAddressRefused,
    CredentialRejected,
    CredentialUnverified,
)
from gateway.credentials.store import CredentialExists, CredentialNotFound
from gateway.dashboard.benchmarks import (
    PRESETS,
    BenchmarkNotFound,
    RunView,
    TargetSummary,
    available_targets,
)
from gateway.dashboard.kpis import milliseconds, percent, usd
from gateway.dashboard.providers import ProviderStatus
from gateway.pricing.catalog import Catalog
from routerai_app.backend import services
from routerai_app.state.session import SessionState

log = logging.getLogger("routerai.web")
NOT_ALLOWED = "Your role does not allow this change."
PROVIDER_TITLES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "groq": "Groq",
    "together": "Together AI",
    "ollama": "Ollama",
}
BREAKER_VIEW = {
    "closed": ("Healthy", "grass"),
    "half_open": ("Recovering", "amber"),
    "open": ("Tripped", "red"),
    "unused": ("Not in use", "gray"),
}
KEY_ERRORS = (
    ValueError,
    LookupError,
    CredentialRejected,
    CredentialUnverified,
    CredentialAddressRefused,
    CredentialExists,
    CredentialNotFound,
)
_CATALOG = Catalog()
COMPARED = ("latency", "ttft", "speed", "cost")


def provider_view(row: ProviderStatus) -> dict[str, str]:
    breaker, color = BREAKER_VIEW[row.breaker]
    health = row.health
    if row.key is not None:
        credential = "Your key"
    elif row.uses_platform_key:
        credential = "Platform key"
    elif not row.in_plan:
        credential = "Outside your plan"
    else:
        credential = "No key"
    return {
        "provider": row.provider,
        "title": PROVIDER_TITLES.get(row.provider, row.provider),
        "breaker": breaker,
        "breaker_color": color,
        "requests": f"{health.requests:,}",
        "error_rate": percent(health.error_rate),
        "p50": milliseconds(health.p50_ms),
        "p95": milliseconds(health.p95_ms),
        "in_plan": "yes" if row.in_plan else "",
        "credential": credential,
        "masked": f"…{row.key.last_four}" if row.key is not None else "",
        "takes_key": "yes" if row.takes_own_key else "",
    }


def summary_view(summary: TargetSummary) -> dict[str, str]:
    return {
        "label": f"{summary.provider}/{summary.model}",
        "latency": milliseconds(summary.latency_ms),
        "ttft": milliseconds(summary.ttft_ms),
        "speed": "—" if summary.tokens_per_s is None else f"{summary.tokens_per_s:,.1f}",
        "cost": usd(summary.cost_micro_usd),
        "errors": f"{summary.errors} of {summary.calls}" if summary.errors else "",
    }


def answer_grid(run: RunView) -> list[list[dict[str, str]]]:
    """One row per prompt, one cell per target: the answer, or the error."""
    found = {(r.get("target"), r.get("prompt")): r for r in run.results}
    grid = []
    for p in range(len(run.prompts)):
        cells = []
        for t, target in enumerate(run.targets):
            result = found.get((t, p))
            cells.append(
                {
                    "label": target.label,
                    "answer": str(result.get("answer") or "") if result else "",
                    "error": str(result.get("error") or "") if result else "",
                    "pending": "" if result else "yes",
                }
            )
        grid.append(cells)
    return grid


class ProvidersState(SessionState):
    loading: bool = True
    error: str = ""
    busy: bool = False
    providers: list[dict[str, str]] = []
    # The key dialog: "add", "replace" or "remove" for `target_provider`.
    dialog: str = "add"
    dialog_open: bool = False
    dialog_error: str = ""
    target_provider: str = ""
    # Benchmarks.
    targets: list[str] = []
    selected: list[str] = []
    prompts_text: str = ""
    bench_error: str = ""
    starting: bool = False
    run_id: str = ""
    run_name: str = ""
    run_status: str = ""
    run_error: str = ""
    run_completed: int = 0
    run_total: int = 0
    run_prompts: list[str] = []
    run_summary: list[dict[str, str]] = []
    run_answers: list[list[dict[str, str]]] = []
    past_runs: list[dict[str, str]] = []
    compare_id: str = ""
    compare_name: str = ""
    compare_summary: list[dict[str, str]] = []

    @rx.var
    def presets(self) -> list[str]:
        return list(PRESETS)

    @rx.var
    def run_active(self) -> bool:
        return self.run_status in ("queued", "running")

    @rx.var
    def run_percent(self) -> int:
        return round(100 * self.run_completed / self.run_total) if self.run_total else 0

    @rx.var
    def compare_rows(self) -> list[dict[str, str]]:
        """This run's figures beside the earlier run's, per model (either may lack one)."""
        before = {row["label"]: row for row in self.compare_summary}
        now = {row["label"]: row for row in self.run_summary}
        labels = list(dict.fromkeys([*now, *before]))
        return [
            {
                "label": label,
                **{f"{k}_now": now.get(label, {}).get(k, "—") for k in COMPARED},
                **{f"{k}_before": before.get(label, {}).get(k, "—") for k in COMPARED},
            }
            for label in labels
        ]

    @rx.var
    def earlier_runs(self) -> list[dict[str, str]]:
        return [run for run in self.past_runs if run["id"] != self.run_id]

    @rx.var
    def provider_choices(self) -> list[str]:
        return [row["provider"] for row in self.providers if row["takes_key"] == "yes"]

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
        actor = access
        try:
            rows = await services().providers.statuses(actor)
            runs = await services().benchmarks.runs(actor)
        except (SQLAlchemyError, RedisError):
            log.exception("loading the providers page failed")
            self.error = "The providers could not be loaded."
        else:
            self.providers = [provider_view(row) for row in rows]
            usable = [row.provider for row in rows if row.source is not None]
            self.targets = [t.label for t in available_targets(usable, _CATALOG)]
            self.selected = [label for label in self.selected if label in self.targets]
            self.past_runs = [_run_choice(run) for run in runs]
            if not self.run_id and runs:
                self._show_run(runs[0])
            self.error = ""
        self.loading = False
        return None

    # -- keys ------------------------------------------------------------------------------

    @rx.event
    def open_dialog(self, name: str, provider: str = "") -> None:
        self.dialog = name
        self.target_provider = provider or (
            self.provider_choices[0] if self.provider_choices else ""
        )
        self.dialog_error = ""
        self.dialog_open = True

    @rx.event
    def close_dialog(self, open_: bool = False) -> None:
        if not open_ and not self.busy:
            self.dialog_open = False

    @rx.event
    def set_target_provider(self, value: str) -> None:
        self.target_provider = value

    @rx.event
    async def save_key(self, form: dict[str, Any]) -> AsyncIterator[rx.event.EventSpec | None]:
        secret = str(form.get("secret", ""))
        provider = self.target_provider

        async def save(actor: Actor) -> str:
            change = (
                services().providers.replace_key
                if self.dialog == "replace"
                else (services().providers.add_key)
            )
            info = await change(actor, provider, secret)
            return f"Saved your {PROVIDER_TITLES.get(provider, provider)} key …{info.last_four}"

        async for update in self._change(save):
            yield update

    @rx.event
    async def remove_key(self) -> AsyncIterator[rx.event.EventSpec | None]:
        provider = self.target_provider

        async def remove(actor: Actor) -> str:
            await services().providers.remove_key(actor, provider)
            return f"Removed your {PROVIDER_TITLES.get(provider, provider)} key"

        async for update in self._change(remove):
            yield update

    async def _change(
        self, action: Callable[[Actor], Awaitable[str]]
    ) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.busy = True
        self.dialog_error = ""
        yield None
        try:
            message = await action(access)
        except PermissionDenied:
            self.dialog_error = NOT_ALLOWED
        except KEY_ERRORS as exc:
            self.dialog_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError):
            log.exception("changing a provider key failed")
            self.dialog_error = "Something went wrong and nothing was changed. Please try again."
        else:
            self.dialog_open = False
            yield rx.toast.success(message, position="bottom-right")
        finally:
            self.busy = False
        await self._reload()

    # -- benchmarks ------------------------------------------------------------------------

    @rx.event
    def toggle_target(self, label: str, checked: bool) -> None:
        chosen = [item for item in self.selected if item != label]
        self.selected = [*chosen, label] if checked else chosen

    @rx.event
    def set_prompts_text(self, value: str) -> None:
        self.prompts_text = value

    @rx.event
    def add_preset(self, name: str) -> None:
        text = PRESETS.get(name, "")
        lines = [line for line in self.prompts_text.splitlines() if line.strip()]
        if text and text not in lines:
            self.prompts_text = "\n".join([*lines, text])

    @rx.event
    async def start_benchmark(self) -> AsyncIterator[rx.event.EventSpec | None]:
        access = await self._access()
        if access is None:
            yield self._login_redirect()
            return
        self.starting = True
        self.bench_error = ""
        yield None
        try:
            run = await services().benchmarks.start(
                access, targets=self.selected, prompts=self.prompts_text.splitlines()
            )
        except PermissionDenied:
            self.bench_error = "Your role can see benchmarks but not run them."
        except ValueError as exc:
            self.bench_error = _sentence(str(exc))
        except (SQLAlchemyError, RedisError, ConnectionError):
            log.exception("starting a benchmark failed")
            self.bench_error = "The benchmark could not be started. Please try again."
        else:
            self._show_run(run)
            self.past_runs = [_run_choice(run), *self.past_runs]
        finally:
            self.starting = False

    @rx.event
    async def poll_run(self, _: str = "") -> None:
        """About once a second while a run is queued or running: its progress and results."""
        if not self.run_active or not self.run_id:
            return
        run = await self._fetch(self.run_id)
        if run is not None:
            self._show_run(run)
            if not run.in_progress:
                self.past_runs = [
                    _run_choice(run) if item["id"] == str(run.id) else item
                    for item in self.past_runs
                ]

    @rx.event
    async def show_run(self, run_id: str) -> None:
        run = await self._fetch(run_id)
        if run is not None:
            self._show_run(run)

    @rx.event
    async def compare_with(self, run_id: str) -> None:
        run = await self._fetch(run_id) if run_id else None
        self.compare_id = str(run.id) if run is not None else ""
        self.compare_name = _run_choice(run)["label"] if run is not None else ""
        self.compare_summary = [summary_view(s) for s in run.summaries()] if run else []

    async def _fetch(self, run_id: str) -> RunView | None:
        access = await self._access()
        if access is None:
            return None
        try:
            return await services().benchmarks.get(access, uuid.UUID(run_id))
        except (ValueError, BenchmarkNotFound):
            self.bench_error = "That benchmark run was not found."
        except (SQLAlchemyError, RedisError):
            log.exception("reading a benchmark run failed")
            self.bench_error = "The benchmark's progress could not be read. Retrying…"
        return None

    def _show_run(self, run: RunView) -> None:
        self.bench_error = ""
        self.run_id = str(run.id)
        self.run_name = run.name
        self.run_status = run.status
        self.run_error = run.error or ""
        self.run_completed = run.completed
        self.run_total = run.total
        self.run_prompts = list(run.prompts)
        self.run_summary = [summary_view(s) for s in run.summaries()]
        self.run_answers = answer_grid(run)


def _run_choice(run: RunView) -> dict[str, str]:
    when = run.created_at.strftime("%b %d, %H:%M")
    return {"id": str(run.id), "label": f"{run.name} · {when}", "status": run.status}


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
