"""Built-in benchmarks: providers and models over a few prompts, run by a background job.

`BenchmarkService` is the page's side: `start` validates what was asked, stores a
`benchmark_runs` row (queued, `total` = targets times prompts) and hands its id to the injected
`enqueue` (the web app passes one that queues an RQ job: the gateway never imports rq);
`get` and `runs` read runs back for the organization only. Starting needs
Action.RUN_BENCHMARKS, reading Action.VIEW.

`BenchmarkRunner` is the job's side: each (target, prompt) goes, streamed, through the
gateway's own `Executor` with the credential the router would pick (the organization's own
key, else the platform's where the plan allows it), is priced from the same catalogue, and is
appended to the row as it completes, so the page sees `completed` of `total` move. A call that
fails is a result carrying its error; only a crash fails the run (`mark_failed`). Running a
run again skips the pairs it already holds, so a retried job repeats no call.

Benchmark calls are the organization's traffic like any other: each is admitted against its
rate limits and budget first (a refusal is the call's result), then settled to its actual
tokens and cost with a usage record (request id `bench-…`, cache `bypass`, the run's id in
`routing`), so it reaches request_logs, usage, budgets and billing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.auth.permissions import Action, Actor, require
from gateway.budget.admission import AdmissionStore, Settlement, admission_for, limits_for
from gateway.budget.rejection import rejection_error
from gateway.credentials.secret import ProviderSecret
from gateway.credentials.vault import CredentialVault
from gateway.dashboard.providers import load_access
from gateway.db.models import BenchmarkRun, utcnow
from gateway.db.sessions import tenant_session
from gateway.errors import GatewayError, UpstreamError
from gateway.execution import Attempts, ExecutionLimits, Executor
from gateway.pricing.catalog import Catalog, ModelInfo, ModelKind, cost_micro_usd
from gateway.routing.eligibility import CredentialSource, credential_key
from gateway.routing.selection import Candidate, KeySource
from gateway.tenancy.context import TenantContext
from gateway.tokens import count_chat_prompt

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


class BenchmarkRunner:
    """Runs a stored benchmark through the gateway's executor, recording as it goes."""

    def __init__(
        self,
        engine: Engine,
        executor: Executor,
        *,
        platform: KeySource,
        vault: CredentialVault,
        admission: AdmissionStore,
        sandbox_mode: bool,
        catalog: Catalog | None = None,
        max_tokens: int = MAX_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._executor = executor
        self._admission = admission
        self._clock = clock
        self._platform = platform
        self._vault = vault
        self._sandbox = sandbox_mode
        self._catalog = catalog or Catalog()
        self._max_tokens = max_tokens

    async def run(self, run_id: uuid.UUID, org_id: uuid.UUID) -> RunView:
        """Measure every pair not measured yet, then mark the run done."""
        run = await asyncio.to_thread(self._begin, run_id, org_id)
        if run.status in ("done", "failed"):
            return view(run)
        current = view(run)
        found = await asyncio.to_thread(
            load_access,
            self._engine,
            org_id,
            platform=self._platform,
            providers=self._executor.registry.names(),
            sandbox_mode=self._sandbox,
        )
        done = {(r["target"], r["prompt"]) for r in current.results}
        for t, target in enumerate(current.targets):
            source = found.access.sources.get(target.provider)
            for p, prompt in enumerate(current.prompts):
                if (t, p) in done:
                    continue
                call = Call(f"bench-{run_id.hex[:16]}-{t}-{p}", str(run_id), found.tenant)
                result = await self._measure(call, target, source, prompt)
                await asyncio.to_thread(
                    self._record, run_id, org_id, {"target": t, "prompt": p, **result}
                )
        return view(await asyncio.to_thread(self._finish, run_id, org_id))

    async def _measure(
        self, call: Call, target: Target, source: CredentialSource | None, prompt: str
    ) -> dict[str, Any]:
        model = self._catalog.get(target.provider, target.model)
        if model is None:
            return _failure("unknown_model", f"{target.label} is not in the catalogue")
        if source is None:
            return _failure(
                "no_provider_credential",
                f"{target.provider} is not available to this organization: add a key of your "
                "own, or use a plan that includes it",
            )
        org_id = call.tenant.org_id
        secret = await self._secret(uuid.UUID(org_id), target.provider, source)
        if secret is None:
            return _failure("no_provider_credential", f"no {target.provider} key is available")
        candidate = Candidate(
            model, secret, source, credential_key(model.provider, source, org_id), self._max_tokens
        )
        body = self._body(model, prompt)
        prompt_tokens = count_chat_prompt(body, model.tokenizer)
        admission = admission_for(
            org_id,
            call.tenant.key_id,
            limits_for(call.tenant),
            tokens=prompt_tokens + self._max_tokens,
            cost_micro=cost_micro_usd(model, prompt_tokens, self._max_tokens),
            now=self._clock(),
            budget_reset_day=call.tenant.budget_reset_day,
        )
        admitted = await self._admission.admit(admission)
        if not admitted.admitted:
            refused = rejection_error(admitted)
            return _failure(refused.code or refused.type, refused.message)
        began = self._clock()
        try:
            result = await self._call(candidate, body)
        except GatewayError as exc:
            result = _failure(exc.code or exc.type, exc.message, exc.status)
        used = result["prompt_tokens"] + result["completion_tokens"]
        settlement = Settlement(admission, admitted, used, result["cost_micro_usd"])
        await self._admission.settle(settlement, usage_of(call, model, result, began))
        return result

    def _body(self, model: ModelInfo, prompt: str) -> dict[str, Any]:
        return {
            "model": model.id,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": self._max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    async def _call(self, candidate: Candidate, body: dict[str, Any]) -> dict[str, Any]:
        model = candidate.model
        start = await self._executor.start_stream([candidate], Attempts(), body, True)
        ttft_ms = (time.perf_counter() - start.began) * 1000
        payloads = list(start.buffered)
        async for line in start.lines:
            payloads.extend(start.translator.feed(line))
        if not start.translator.finished:
            raise UpstreamError(
                f"{candidate.provider} ended the stream before it was complete",
                code="stream_interrupted",
            )
        latency_ms = (time.perf_counter() - start.began) * 1000
        answer = "".join(_content(payload) for payload in payloads)
        usage = start.translator.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion = usage.completion_tokens if usage else sum(1 for p in payloads if _content(p))
        generating_s = max(latency_ms - ttft_ms, 1.0) / 1000
        return {
            "latency_ms": round(latency_ms),
            "ttft_ms": round(ttft_ms),
            "tokens_per_s": round(completion / generating_s, 1),
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "cost_micro_usd": cost_micro_usd(model, prompt_tokens, completion),
            "answer": answer[:MAX_ANSWER_CHARS],
            "error": None,
            "status": 200,
        }

    async def _secret(
        self, org_id: uuid.UUID, provider: str, source: CredentialSource
    ) -> ProviderSecret | None:
        if source is CredentialSource.BYOK:
            return await self._vault.get(str(org_id), provider)
        key = self._platform.get(provider)
        return ProviderSecret(provider, key) if key else None

    def _begin(self, run_id: uuid.UUID, org_id: uuid.UUID) -> BenchmarkRun:
        with tenant_session(self._engine, org_id) as session:
            run = find_run(session, org_id, run_id)
            if run.status == "queued":
                run.status = "running"
                session.add(run)
                session.flush()
            session.expunge(run)
            return run

    def _record(self, run_id: uuid.UUID, org_id: uuid.UUID, result: dict[str, Any]) -> None:
        with tenant_session(self._engine, org_id) as session:
            run = session.get(BenchmarkRun, run_id)
            assert run is not None and run.org_id == org_id
            run.results = [*run.results, result]
            run.completed = len(run.results)
            session.add(run)

    def _finish(self, run_id: uuid.UUID, org_id: uuid.UUID) -> BenchmarkRun:
        with tenant_session(self._engine, org_id) as session:
            run = find_run(session, org_id, run_id)
            run.status, run.finished_at = "done", utcnow()
            session.add(run)
            session.flush()
            session.expunge(run)
            return run


@dataclass(frozen=True, slots=True)
class Call:
    """One benchmark call: its request id, its run, and the organization as the gateway
    sees it (limits and budgets)."""

    request_id: str
    run_id: str
    tenant: TenantContext


def usage_of(
    call: Call, model: ModelInfo, result: dict[str, Any], began_s: float
) -> dict[str, str | int]:
    """The call as the usage stream carries a gateway request (`gateway.usage`)."""
    error = result["error"]
    return {
        "request_id": call.request_id,
        "created_at_ms": int(began_s * 1000),
        "org_id": call.tenant.org_id,
        "key_id": "",
        "endpoint": "benchmark",
        "provider": model.provider,
        "model_requested": model.id,
        "model_used": model.id,
        "prompt_tokens": result["prompt_tokens"],
        "completion_tokens": result["completion_tokens"],
        "cost_micro": result["cost_micro_usd"],
        "baseline_micro": result["cost_micro_usd"],
        "latency_ms": result["latency_ms"] or 0,
        "ttfb_ms": "" if result["ttft_ms"] is None else result["ttft_ms"],
        "status": result["status"],
        "error_type": error.partition(":")[0] if error else "",
        "cache_status": "bypass",
        "cache_similarity": "",
        "streamed": 1,
        "routing": orjson.dumps({"benchmark": call.run_id}).decode(),
    }


def _failure(code: str, message: str, status: int = 0) -> dict[str, Any]:
    """A call that did not answer; `status` is the HTTP status the gateway would have sent
    (0: never sent to the provider)."""
    return {
        "status": status,
        "latency_ms": None,
        "ttft_ms": None,
        "tokens_per_s": None,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_micro_usd": 0,
        "answer": "",
        "error": f"{code}: {message}",
    }


def _content(payload: bytes) -> str:
    try:
        chunk = orjson.loads(payload)
        choices = chunk.get("choices") or []
        return str((choices[0].get("delta") or {}).get("content") or "") if choices else ""
    except (orjson.JSONDecodeError, AttributeError, IndexError, TypeError):
        return ""


def one_call_limits(timeout_s: float) -> ExecutionLimits:
    """A benchmark measures one provider per call: no fallback to another."""
    return ExecutionLimits(max_attempts=1, attempt_timeout_s=timeout_s, deadline_s=timeout_s)
