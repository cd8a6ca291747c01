"""Starting and reading benchmark runs: what is stored and queued, by role, per organization."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from gateway.auth.permissions import Actor, PermissionDenied
from gateway.dashboard.benchmarks import (
    PRESETS,
    BenchmarkNotFound,
    BenchmarkService,
    Target,
    summarize,
)
from gateway.db.enums import MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.db.users import create_user

MakeOrg = Callable[..., Organization]
TARGETS = ["groq/llama-3.3-70b-versatile", "openai/gpt-4o-mini"]


class Queue:
    """The injected enqueue: remembers what it was handed, or fails like a Redis outage."""

    def __init__(self, fail: bool = False) -> None:
        self.queued: list[tuple[uuid.UUID, uuid.UUID]] = []
        self.fail = fail

    async def __call__(self, run_id: uuid.UUID, org_id: uuid.UUID) -> None:
        if self.fail:
            raise ConnectionError("the queue is unreachable")
        self.queued.append((run_id, org_id))


@pytest.fixture
def queue() -> Queue:
    return Queue()


@pytest.fixture
def service(engine: Engine, queue: Queue) -> BenchmarkService:
    return BenchmarkService(engine, queue)


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.MEMBER) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


async def test_a_member_starts_a_run_which_is_stored_queued_and_handed_to_the_queue(
    service: BenchmarkService, queue: Queue, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org()
    prompts = [PRESETS["Greeting"], "  What is 2 + 2?  ", ""]

    run = await service.start(actor(org), targets=TARGETS, prompts=prompts)

    assert queue.queued == [(run.id, org.id)]
    assert (run.status, run.completed, run.total) == ("queued", 0, 4)
    assert run.targets == (
        Target("groq", "llama-3.3-70b-versatile"),
        Target("openai", "gpt-4o-mini"),
    )
    assert run.prompts == (PRESETS["Greeting"], "What is 2 + 2?")
    assert run.name == "llama-3.3-70b-versatile vs gpt-4o-mini"
    assert [r.id for r in await service.runs(actor(org, MemberRole.VIEWER))] == [run.id]


@pytest.mark.parametrize(
    ("targets", "prompts", "message"),
    [
        ([], ["hi"], "choose 1 to 6 models"),
        (["openai/gpt-5-imaginary"], ["hi"], "not a chat model"),
        (["openai/text-embedding-3-small"], ["hi"], "not a chat model"),
        (TARGETS, ["", "  "], "enter 1 to 5 prompts"),
        (TARGETS, ["x" * 4001], "at most 4000 characters"),
        ([f"openai/gpt-4o-mini{n}" for n in range(7)], ["hi"], "choose 1 to 6 models"),
    ],
)
async def test_a_bad_request_stores_and_queues_nothing(
    service: BenchmarkService,
    queue: Queue,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    targets: list[str],
    prompts: list[str],
    message: str,
) -> None:
    org = make_org()
    with pytest.raises(ValueError, match=message):
        await service.start(actor(org), targets=targets, prompts=prompts)
    assert queue.queued == [] and await service.runs(actor(org)) == []


async def test_a_viewer_cannot_run_benchmarks(
    service: BenchmarkService, queue: Queue, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org()
    with pytest.raises(PermissionDenied):
        await service.start(actor(org, MemberRole.VIEWER), targets=TARGETS, prompts=["hi"])
    assert queue.queued == [] and await service.runs(actor(org)) == []


async def test_another_organizations_run_is_not_found(
    service: BenchmarkService, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    mine, theirs = make_org("Mine"), make_org("Theirs")
    run = await service.start(actor(mine), targets=TARGETS, prompts=["hi"])

    with pytest.raises(BenchmarkNotFound):
        await service.get(actor(theirs, MemberRole.OWNER), run.id)
    with pytest.raises(BenchmarkNotFound):
        await service.get(actor(mine), uuid.uuid4())
    assert await service.runs(actor(theirs, MemberRole.OWNER)) == []
    assert (await service.get(actor(mine, MemberRole.VIEWER), run.id)).id == run.id


async def test_a_run_the_queue_refused_is_left_failed_with_the_reason(
    engine: Engine, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org()
    service = BenchmarkService(engine, Queue(fail=True))

    with pytest.raises(ConnectionError):
        await service.start(actor(org), targets=TARGETS, prompts=["hi"])

    (run,) = await service.runs(actor(org))
    assert run.status == "failed" and "the queue is unreachable" in (run.error or "")


def test_summaries_average_successful_calls_and_add_every_cost() -> None:
    targets = [Target("groq", "a"), Target("openai", "b")]
    results: list[dict[str, Any]] = [
        {"target": 0, "latency_ms": 100, "ttft_ms": 20, "tokens_per_s": 50.0, "cost_micro_usd": 3},
        {"target": 0, "latency_ms": 300, "ttft_ms": 40, "tokens_per_s": 70.0, "cost_micro_usd": 5},
        {"target": 1, "error": "upstream_error: boom", "cost_micro_usd": 0, "latency_ms": None},
    ]

    groq, openai = summarize(targets, results)

    assert (groq.calls, groq.errors, groq.latency_ms, groq.ttft_ms) == (2, 0, 200, 30)
    assert (groq.tokens_per_s, groq.cost_micro_usd) == (60.0, 8)
    assert (openai.calls, openai.errors, openai.latency_ms, openai.tokens_per_s) == (
        1,
        1,
        None,
        None,
    )


async def test_a_run_whose_worker_was_lost_shows_as_failed_after_an_hour(
    engine: Engine, queue: Queue, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    org = make_org()
    started = await BenchmarkService(engine, queue).start(
        actor(org), targets=TARGETS, prompts=["hi"]
    )
    later = BenchmarkService(
        engine, queue, clock=lambda: started.created_at + timedelta(minutes=61)
    )
    soon = BenchmarkService(engine, queue, clock=lambda: started.created_at + timedelta(minutes=59))

    assert (await soon.get(actor(org), started.id)).status == "queued"
    lost = await later.get(actor(org), started.id)
    assert lost.status == "failed" and "worker was lost" in (lost.error or "")
    assert not lost.in_progress
