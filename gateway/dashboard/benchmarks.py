"""Built-in benchmarks: providers and models over a few prompts, run by a background job.

`BenchmarkService` is the page's side: `start` validates what was asked, stores a
`benchmark_runs` row (queued, `total` = targets times prompts) and hands its id to the injected
`enqueue` (the web app passes one that queues an RQ job: the gateway never imports rq);
`get` and `runs` read runs back for the organization only. Starting needs
Action.RUN_BENCHMARKS, reading Action.VIEW.

The job's side, which measures the calls, is `gateway.dashboard.benchmark_runner`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.auth.permissions import Action, Actor, require
from gateway.db.models import BenchmarkRun, utcnow
from gateway.db.sessions import tenant_session
from gateway.pricing.catalog import Catalog, ModelKind

PRESETS: dict[str, str] = {
    "Greeting": "Say hello and introduce yourself in one sentence.",
    "Summary": (
        "Summarize in two sentences why request routing across several LLM providers "
        "lowers cost and improves reliability."
    ),
    "Reasoning": (
        "A train leaves at 09:40 and arrives at 13:05. How long is the journey? "
        "Answer with the duration and one line of working."
    ),
    "Code": "Write a Python function that returns the n-th Fibonacci number iteratively.",
}
MAX_TARGETS = 6
MAX_PROMPTS = 5
MAX_PROMPT_CHARS = 4000
MAX_TOKENS = 256
MAX_ANSWER_CHARS = 4000
MAX_NAME_CHARS = 100
LOST_AFTER = timedelta(hours=1)
LOST_REASON = "the benchmark stopped without finishing: its worker was lost"

Enqueue = Callable[[uuid.UUID, uuid.UUID], Awaitable[None]]
"""(run id, org id) → the run's job is queued."""


class BenchmarkNotFound(LookupError):
    """No run with this id in the organization."""


@dataclass(frozen=True, slots=True)
class Target:
    provider: str
    model: str

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True, slots=True)
class TargetSummary:
    """One (provider, model) over the run's prompts: means of its successful calls."""

    provider: str
    model: str
    calls: int
    errors: int
    latency_ms: int | None
    ttft_ms: int | None
    tokens_per_s: float | None
    cost_micro_usd: int


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as the page shows it."""

    id: uuid.UUID
    name: str
    status: str
    completed: int
    total: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    targets: tuple[Target, ...]
    prompts: tuple[str, ...]
    results: tuple[dict[str, Any], ...]

    @property
    def in_progress(self) -> bool:
        return self.status in ("queued", "running")

    def summaries(self) -> list[TargetSummary]:
        return summarize(self.targets, self.results)


def parse_spec(
    targets: Sequence[str], prompts: Sequence[str], catalog: Catalog
) -> tuple[list[Target], list[str]]:
    """`provider/model` labels and prompt texts, checked (ValueError says what is wrong)."""
    chosen = list(dict.fromkeys(t.strip() for t in targets if t.strip()))
    texts = [p.strip() for p in prompts if p.strip()]
    if not chosen or len(chosen) > MAX_TARGETS:
        raise ValueError(f"choose 1 to {MAX_TARGETS} models")
    if not texts or len(texts) > MAX_PROMPTS:
        raise ValueError(f"enter 1 to {MAX_PROMPTS} prompts")
    if any(len(text) > MAX_PROMPT_CHARS for text in texts):
        raise ValueError(f"a prompt is at most {MAX_PROMPT_CHARS} characters")
    parsed = []
    for label in chosen:
        provider, _, model = label.partition("/")
        info = catalog.get(provider, model)
        if info is None or info.kind is not ModelKind.CHAT:
            raise ValueError(f"{label} is not a chat model RouterAI knows")
        parsed.append(Target(provider, model))
    return parsed, texts


def available_targets(providers: Sequence[str], catalog: Catalog) -> list[Target]:
    """The chat models of `providers` (those the organization may call), in catalogue order."""
    usable = set(providers)
    return [
        Target(m.provider, m.id)
        for m in catalog.models
        if m.provider in usable and m.kind is ModelKind.CHAT
    ]


def summarize(targets: Sequence[Target], results: Sequence[dict[str, Any]]) -> list[TargetSummary]:
    """Per target, in the run's order: call and error counts, means, and the total cost."""
    out = []
    for index, target in enumerate(targets):
        mine = [r for r in results if r.get("target") == index]
        ok = [r for r in mine if not r.get("error")]
        speeds = [float(r["tokens_per_s"]) for r in ok if r.get("tokens_per_s") is not None]
        out.append(
            TargetSummary(
                target.provider,
                target.model,
                len(mine),
                len(mine) - len(ok),
                _mean([int(r["latency_ms"]) for r in ok]),
                _mean([int(r["ttft_ms"]) for r in ok]),
                round(sum(speeds) / len(speeds), 1) if speeds else None,
                sum(int(r.get("cost_micro_usd", 0)) for r in mine),
            )
        )
    return out


def _mean(values: Sequence[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


class BenchmarkService:
    """Start, follow and list the organization's benchmark runs."""

    def __init__(
        self,
        engine: Engine,
        enqueue: Enqueue,
        *,
        catalog: Catalog | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._enqueue = enqueue
        self._catalog = catalog or Catalog()
        self._clock = clock

    async def start(
        self, actor: Actor, *, targets: Sequence[str], prompts: Sequence[str], name: str = ""
    ) -> RunView:
        """Store a queued run and queue its job (ValueError for a bad request)."""
        require(actor.role, Action.RUN_BENCHMARKS)
        chosen, texts = parse_spec(targets, prompts, self._catalog)
        run = await asyncio.to_thread(self._create, actor, chosen, texts, name)
        try:
            await self._enqueue(run.id, actor.org_id)
        except Exception as exc:  # whatever the queue raised: the run must not stay queued
            await asyncio.to_thread(
                mark_failed, self._engine, run.id, actor.org_id, f"could not queue: {exc}"
            )
            raise
        return await self.get(actor, run.id)

    async def get(self, actor: Actor, run_id: uuid.UUID) -> RunView:
        """One run of the organization (BenchmarkNotFound otherwise)."""
        require(actor.role, Action.VIEW)
        run = await asyncio.to_thread(self._read, actor.org_id, run_id)
        return view(run, now=self._clock())

    async def runs(self, actor: Actor, limit: int = 20) -> list[RunView]:
        """The organization's latest runs, newest first."""
        require(actor.role, Action.VIEW)
        now = self._clock()
        return [
            view(r, now=now) for r in await asyncio.to_thread(self._latest, actor.org_id, limit)
        ]

    def _create(
        self, actor: Actor, targets: list[Target], prompts: list[str], name: str
    ) -> BenchmarkRun:
        spec = {"targets": [[t.provider, t.model] for t in targets], "prompts": prompts}
        run = BenchmarkRun(
            org_id=actor.org_id,
            created_by=actor.user_id,
            name=(name.strip() or default_name(targets))[:MAX_NAME_CHARS],
            spec=spec,
            total=len(targets) * len(prompts),
        )
        with tenant_session(self._engine, actor.org_id) as session:
            session.add(run)
            session.flush()
            session.expunge(run)
        return run

    def _read(self, org_id: uuid.UUID, run_id: uuid.UUID) -> BenchmarkRun:
        with tenant_session(self._engine, org_id) as session:
            run = find_run(session, org_id, run_id)
            session.expunge(run)
            return run

    def _latest(self, org_id: uuid.UUID, limit: int) -> list[BenchmarkRun]:
        with tenant_session(self._engine, org_id) as session:
            statement = (
                select(BenchmarkRun)
                .where(BenchmarkRun.org_id == org_id)
                .order_by(col(BenchmarkRun.created_at).desc())
                .limit(limit)
            )
            runs = list(session.exec(statement))
            for run in runs:
                session.expunge(run)
            return runs


def default_name(targets: Sequence[Target]) -> str:
    return " vs ".join(t.model for t in targets)


def find_run(session: Session, org_id: uuid.UUID, run_id: uuid.UUID) -> BenchmarkRun:
    run = session.get(BenchmarkRun, run_id)
    if run is None or run.org_id != org_id:
        raise BenchmarkNotFound("no benchmark run with this id in the organization")
    return run


def view(run: BenchmarkRun, *, now: datetime | None = None) -> RunView:
    """The run as shown at `now`: one still unfinished `LOST_AFTER` after it was created
    lost its worker (the job's own timeout is shorter), and shows as failed."""
    spec = run.spec or {}
    lost = (
        now is not None
        and run.status in ("queued", "running")
        and now - run.created_at > LOST_AFTER
    )
    return RunView(
        id=run.id,
        name=run.name,
        status="failed" if lost else run.status,
        completed=run.completed,
        total=run.total,
        error=LOST_REASON if lost else run.error,
        created_at=run.created_at,
        finished_at=run.finished_at,
        targets=tuple(Target(str(p), str(m)) for p, m in spec.get("targets", [])),
        prompts=tuple(str(p) for p in spec.get("prompts", [])),
        results=tuple(run.results or ()),
    )


def mark_failed(engine: Engine, run_id: uuid.UUID, org_id: uuid.UUID, reason: str) -> None:
    """Leave the run failed with `reason`, unless it already ended (done, or failed earlier)."""
    with tenant_session(engine, org_id) as session:
        run = session.get(BenchmarkRun, run_id)
        if run is None or run.org_id != org_id or run.status in ("done", "failed"):
            return
        run.status, run.error, run.finished_at = "failed", reason[:500], utcnow()
        session.add(run)
