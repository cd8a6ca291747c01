"""The job's side of built-in benchmarks: measuring each (model, prompt) of a stored run.

Each pair goes, streamed, through the gateway's own `Executor` with the credential the
router would pick (the organization's own key, else the platform's where the plan allows
it), is priced from the same catalogue, and is appended to the `benchmark_runs` row as it
completes, so the page sees `completed` of `total` move. A call that fails is a result
carrying its error; only a crash fails the run (`mark_failed`). Running a run again skips
the pairs it already holds, so a retried job repeats no call.

Benchmark calls are the organization's traffic like any other: each is admitted against its
rate limits and budget first (a refusal is the call's result), then settled to its actual
tokens and cost with a usage record (request id `bench-…`, cache `bypass`, the run's id in
`routing`), so it reaches request_logs, usage, budgets and billing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine

from gateway.budget.admission import AdmissionStore, Settlement, admission_for, limits_for
from gateway.budget.rejection import rejection_error
from gateway.credentials.secret import ProviderSecret
from gateway.credentials.vault import CredentialVault
from gateway.dashboard.benchmarks import (
    MAX_ANSWER_CHARS,
    MAX_TOKENS,
    RunView,
    Target,
    find_run,
    view,
)
from gateway.dashboard.providers import load_access
from gateway.db.models import BenchmarkRun, utcnow
from gateway.db.sessions import tenant_session
from gateway.errors import GatewayError, UpstreamError
from gateway.execution import Attempts, ExecutionLimits, Executor
from gateway.pricing.catalog import Catalog, ModelInfo, cost_micro_usd
from gateway.routing.eligibility import CredentialSource, credential_key
from gateway.routing.selection import Candidate, KeySource
from gateway.tenancy.context import TenantContext
from gateway.tokens import count_chat_prompt


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
        start = await self._executor.start_stream([candidate], Attempts(), lambda _: body, True)
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
