"""The benchmark job against the sandbox providers: progress reaches the total, every result is
measured and priced, a provider's error is a result (not a failed run), a crash fails the run
with its reason, a second run repeats no call, and a real RQ worker runs what the page queues."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from rq import Queue, SimpleWorker
from sqlalchemy import Engine
from sqlmodel import col, select

from gateway.auth.permissions import Actor
from gateway.budget.period import budget_period_at
from gateway.budget.redis_store import RedisAdmissionStore
from gateway.dashboard.benchmarks import BenchmarkService, RunView, view
from gateway.db.enums import MemberRole
from gateway.db.models import BenchmarkRun, Organization, RequestLog
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from gateway.usage import USAGE_STREAM
from tests.gateway.processes import settings_env
from workers import jobs
from workers.context import JobContext
from workers.ingest import IngestConfig, ensure_group, ingest_once
from workers.queues import BENCHMARKS, enqueue_benchmark

MakeOrg = Callable[..., Organization]
TARGETS = ["groq/llama-3.3-70b-versatile", "anthropic/claude-sonnet-4-20250514"]
PROMPTS = ["Say hello in one sentence.", "What is the capital of France?"]


@pytest.fixture
def settings(engine: Engine, redis_url: str, sandbox_url: str) -> Settings:
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REDIS_URL=redis_url,
        ROUTERAI_ENV="test",
        ROUTERAI_SANDBOX_URL=sandbox_url,
    )


@pytest.fixture
def ctx(settings: Settings, engine: Engine, redis_client: redis.Redis) -> JobContext:
    return JobContext(settings, engine, redis_client)


def queued_run(
    engine: Engine, org: Organization, targets: list[str], prompts: list[str]
) -> uuid.UUID:
    """A run stored the way the page stores it (the queue itself left out)."""

    async def no_queue(run_id: uuid.UUID, org_id: uuid.UUID) -> None:
        return None

    with system_session(engine) as session:
        user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
    service = BenchmarkService(engine, no_queue)
    run = asyncio.run(
        service.start(Actor(user.id, org.id, MemberRole.MEMBER), targets=targets, prompts=prompts)
    )
    return run.id


def stored(engine: Engine, org: Organization, run_id: uuid.UUID) -> RunView:
    with tenant_session(engine, org.id) as session:
        run = session.get(BenchmarkRun, run_id)
        assert run is not None
        return view(run)


def test_a_benchmark_measures_every_pair_and_reaches_its_total(
    ctx: JobContext, engine: Engine, make_org: MakeOrg, sandbox: SandboxControl
) -> None:
    org = make_org(plan="growth")  # sandbox mode: the platform's keys serve every provider
    run_id = queued_run(engine, org, TARGETS, PROMPTS)

    outcome = jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    run = stored(engine, org, run_id)
    assert outcome == {"status": "done", "completed": 4, "total": 4}
    assert (run.status, run.completed, run.total, run.error) == ("done", 4, 4, None)
    assert run.finished_at is not None
    assert sorted((r["target"], r["prompt"]) for r in run.results) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    ]
    for result in run.results:
        assert result["error"] is None
        assert result["latency_ms"] >= result["ttft_ms"] >= 0
        assert result["tokens_per_s"] > 0 and result["completion_tokens"] > 0
        assert result["prompt_tokens"] > 0 and result["cost_micro_usd"] > 0
        assert result["answer"].strip()
    assert sandbox.requests_to("groq") == 2 and sandbox.requests_to("anthropic") == 2
    assert [s.calls for s in run.summaries()] == [2, 2]


def test_a_provider_error_is_a_result_and_the_run_still_completes(
    ctx: JobContext, engine: Engine, make_org: MakeOrg, sandbox: SandboxControl
) -> None:
    org = make_org(plan="growth")
    sandbox.arm_fault("groq", "error=503")
    run_id = queued_run(engine, org, TARGETS, PROMPTS[:1])

    jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    run = stored(engine, org, run_id)
    groq, anthropic = sorted(run.results, key=lambda r: r["target"])
    assert (run.status, run.completed) == ("done", 2)
    assert groq["error"] and "groq" in groq["error"] and groq["latency_ms"] is None
    assert groq["cost_micro_usd"] == 0
    assert anthropic["error"] is None and anthropic["answer"]
    summary = run.summaries()
    assert (summary[0].errors, summary[1].errors) == (1, 0)


def test_benchmark_calls_are_metered_and_budgeted_like_gateway_requests(
    ctx: JobContext,
    engine: Engine,
    make_org: MakeOrg,
    redis_client: redis.Redis,
    sandbox: SandboxControl,
) -> None:
    org = make_org(plan="growth")
    run_id = queued_run(engine, org, TARGETS, PROMPTS[:1])

    jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    run = stored(engine, org, run_id)
    records = [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in redis_client.xrange(USAGE_STREAM)
    ]
    assert sorted(r["request_id"] for r in records) == [
        f"bench-{run_id.hex[:16]}-{t}-0" for t in range(len(TARGETS))
    ]
    for record in records:
        result = next(r for r in run.results if record["request_id"].endswith(f"-{r['target']}-0"))
        assert record["org_id"] == str(org.id) and record["status"] == "200"
        assert int(record["prompt_tokens"]) == result["prompt_tokens"]
        assert int(record["completion_tokens"]) == result["completion_tokens"]
        assert int(record["cost_micro"]) == result["cost_micro_usd"] > 0
        assert record["cache_status"] == "bypass"
    ensure_group(redis_client, IngestConfig())
    assert ingest_once(redis_client, engine, "test", block=False) == len(TARGETS)
    with tenant_session(engine, org.id) as session:
        logged = session.exec(select(RequestLog).where(col(RequestLog.org_id) == org.id)).all()
    assert {(log.provider, log.status_code, log.api_key_id) for log in logged} == {
        ("groq", 200, None),
        ("anthropic", 200, None),
    }
    period = budget_period_at(time.time(), org.budget_reset_day).id
    spent = asyncio.run(spend(redis_client, str(org.id), period))
    assert spent == (
        sum(r["prompt_tokens"] + r["completion_tokens"] for r in run.results),
        sum(r["cost_micro_usd"] for r in run.results),
    )


def test_an_exhausted_budget_refuses_benchmark_calls_before_any_provider_sees_them(
    ctx: JobContext, engine: Engine, make_org: MakeOrg, sandbox: SandboxControl
) -> None:
    org = make_org(plan="growth")
    with system_session(engine) as session:
        row = session.get(Organization, org.id)
        assert row is not None
        row.monthly_token_budget = 10  # fewer than one call's prompt and output
        session.add(row)
    run_id = queued_run(engine, org, TARGETS, PROMPTS[:1])

    jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    run = stored(engine, org, run_id)
    assert run.status == "done" and run.completed == len(TARGETS)
    assert all(r["error"].startswith("insufficient_quota") for r in run.results)
    assert sandbox.requests_to("groq") == sandbox.requests_to("anthropic") == 0


async def spend(client: redis.Redis, org_id: str, period_id: str) -> tuple[int, int]:
    pool = client.connection_pool.connection_kwargs
    async_client = aioredis.Redis(host=pool["host"], port=pool["port"], db=pool["db"])
    try:
        return await RedisAdmissionStore(async_client).spend(org_id, period_id)
    finally:
        await async_client.aclose()


def test_a_crashed_job_leaves_the_run_failed_with_its_reason(
    ctx: JobContext, engine: Engine, make_org: MakeOrg
) -> None:
    org = make_org()
    run_id = queued_run(engine, org, TARGETS[:1], PROMPTS[:1])
    with tenant_session(engine, org.id) as session:  # a row the job cannot read
        row = session.get(BenchmarkRun, run_id)
        assert row is not None
        row.spec = {"targets": [["groq"]], "prompts": PROMPTS[:1]}
        session.add(row)

    with pytest.raises(ValueError):
        jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    with tenant_session(engine, org.id) as session:
        run = session.get(BenchmarkRun, run_id)
        assert run is not None
        assert run.status == "failed" and run.finished_at is not None
        assert run.error is not None and run.error.startswith("the benchmark stopped: ValueError")


def test_a_provider_outside_the_plan_is_an_error_result(
    ctx: JobContext, engine: Engine, make_org: MakeOrg, sandbox: SandboxControl
) -> None:
    org = make_org(plan="free")  # two providers: ollama and groq, in catalogue order
    run_id = queued_run(engine, org, TARGETS, PROMPTS[:1])

    jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    groq, anthropic = sorted(stored(engine, org, run_id).results, key=lambda r: r["target"])
    assert groq["error"] is None
    assert anthropic["error"].startswith("no_provider_credential")
    assert sandbox.requests_to("anthropic") == 0


def test_running_a_run_again_repeats_no_call(
    ctx: JobContext, engine: Engine, make_org: MakeOrg, sandbox: SandboxControl
) -> None:
    org = make_org()
    run_id = queued_run(engine, org, TARGETS[:1], PROMPTS)
    partial: dict[str, Any] = {"target": 0, "prompt": 0, "error": "earlier", "cost_micro_usd": 0}
    with tenant_session(engine, org.id) as session:  # a job that died after one result
        row = session.get(BenchmarkRun, run_id)
        assert row is not None
        row.status, row.results, row.completed = "running", [partial], 1
        session.add(row)

    jobs.run_benchmark_with(ctx, str(run_id), str(org.id))
    jobs.run_benchmark_with(ctx, str(run_id), str(org.id))

    run = stored(engine, org, run_id)
    assert (run.status, run.completed) == ("done", 2)
    assert run.results[0] == partial and run.results[1]["prompt"] == 1
    assert sandbox.requests_to("groq") == 1


def test_an_rq_worker_runs_the_queued_benchmark(
    settings: Settings,
    engine: Engine,
    redis_client: redis.Redis,
    make_org: MakeOrg,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in settings_env(settings).items():  # what the worker process would read
        monkeypatch.setenv(name, value)
    org = make_org()
    run_id = queued_run(engine, org, TARGETS[:1], PROMPTS[:1])

    enqueue_benchmark(redis_client, run_id=run_id, org_id=org.id)
    worker = SimpleWorker([Queue(BENCHMARKS, connection=redis_client)], connection=redis_client)
    worker.work(burst=True)

    run = stored(engine, org, run_id)
    assert (run.status, run.completed, run.total) == ("done", 1, 1)
    assert run.results[0]["error"] is None
