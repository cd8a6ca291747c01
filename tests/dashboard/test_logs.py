"""The request log: keyset pages, every filter, one request's details, one organization only."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from gateway.auth.permissions import Actor
from gateway.dashboard.logs import (
    LogFilter,
    RequestLogs,
    decode_cursor,
    page_query,
    since_for,
)
from gateway.db.enums import MemberRole
from gateway.db.models import ApiKey, Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from gateway.tenancy.keys import create_api_key
from tests.dashboard.conftest import NOW

MakeOrg = Callable[..., Organization]
AddLogs = Callable[..., None]


@pytest.fixture
def logs(engine: Engine) -> RequestLogs:
    return RequestLogs(engine, clock=lambda: NOW)


@pytest.fixture
def actor(engine: Engine) -> Callable[..., Actor]:
    def make(org: Organization, role: MemberRole = MemberRole.VIEWER) -> Actor:
        with system_session(engine) as session:
            user = create_user(session, email=f"{uuid.uuid4().hex[:12]}@example.com")
        return Actor(user.id, org.id, role)

    return make


@pytest.fixture
def make_key(engine: Engine) -> Callable[..., ApiKey]:
    def make(org: Organization, name: str = "Backend") -> ApiKey:
        with tenant_session(engine, org.id) as session:
            key, _ = create_api_key(session, org=org, name=name, environment="prod")
            return key

    return make


async def all_pages(
    logs: RequestLogs, who: Actor, filters: LogFilter, limit: int
) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = await logs.page(who, filters, cursor=cursor, limit=limit)
        pages.append([row.id for row in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


async def ids(logs: RequestLogs, who: Actor, **filters: object) -> list[int]:
    page = await logs.page(who, LogFilter(**filters), limit=200)  # type: ignore[arg-type]
    return [row.id for row in page.rows]


async def test_keyset_pages_return_every_row_once_newest_first_despite_tied_times(
    logs: RequestLogs, actor: Callable[..., Actor], make_org: MakeOrg, add_logs: AddLogs
) -> None:
    org = make_org("Acme")
    add_logs(org, NOW - timedelta(minutes=1), count=7)  # seven rows share one created_at
    add_logs(org, NOW - timedelta(minutes=2), count=1)
    add_logs(org, NOW - timedelta(minutes=3), count=6)  # and six another
    who = actor(org)
    everything = await ids(logs, who)

    pages = await all_pages(logs, who, LogFilter(), limit=3)

    assert [len(page) for page in pages] == [3, 3, 3, 3, 2]
    flat = [row_id for page in pages for row_id in page]
    assert flat == everything
    assert len(set(flat)) == 14
    first_minute = flat[:7]
    assert first_minute == sorted(first_minute, reverse=True)  # ties broken by id, descending


async def test_rows_arriving_meanwhile_do_not_shift_the_next_page(
    logs: RequestLogs, actor: Callable[..., Actor], make_org: MakeOrg, add_logs: AddLogs
) -> None:
    org = make_org("Acme")
    add_logs(org, NOW - timedelta(minutes=5), count=4)
    who = actor(org)
    first = await logs.page(who, LogFilter(), limit=2)

    add_logs(org, NOW, count=3)  # newer rows: they belong before page one
    second = await logs.page(who, LogFilter(), cursor=first.next_cursor, limit=2)

    assert second.next_cursor is None
    assert {row.id for row in first.rows}.isdisjoint(row.id for row in second.rows)
    assert len(first.rows) + len(second.rows) == 4


async def test_each_filter_keeps_only_matching_rows(
    logs: RequestLogs,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    make_key: Callable[..., ApiKey],
    add_logs: AddLogs,
) -> None:
    org = make_org("Acme")
    key = make_key(org)
    at = NOW - timedelta(minutes=10)
    add_logs(org, at, count=2, api_key_id=key.id)
    add_logs(org, at, status_code=429, provider=None, model_used=None, cost=0)
    add_logs(org, at, status_code=400, error_type="invalid_request_error")
    add_logs(org, at, status_code=502, provider="openai", model_used="gpt-4o-mini")
    add_logs(org, at, status_code=503, provider="openai", model_used="gpt-4o-mini")
    add_logs(org, at, cache_status="exact", cost=0)
    add_logs(org, at, cache_status="semantic", cost=0, cache_similarity=0.97)
    add_logs(org, NOW - timedelta(days=3), provider="anthropic", model_used="claude-3-5-haiku")
    who = actor(org)
    rows = {row.id: row for row in (await logs.page(who, LogFilter(), limit=200)).rows}

    def where(test: Callable[..., bool]) -> list[int]:
        return [row_id for row_id, row in rows.items() if test(row)]  # in the log's order

    assert len(rows) == 9
    assert await ids(logs, who, status="ok") == where(lambda r: r.status_code < 400)
    assert await ids(logs, who, status="4xx") == where(lambda r: 400 <= r.status_code < 500)
    assert await ids(logs, who, status="5xx") == where(lambda r: r.status_code >= 500)
    assert await ids(logs, who, status="error") == where(lambda r: r.status_code >= 400)
    assert await ids(logs, who, status="429") == where(lambda r: r.status_code == 429)
    assert len(await ids(logs, who, status="5xx")) == 2
    assert await ids(logs, who, provider="openai") == where(lambda r: r.provider == "openai")
    assert await ids(logs, who, model="claude-3-5-haiku") == where(
        lambda r: r.model_used == "claude-3-5-haiku"
    )
    assert await ids(logs, who, api_key_id=key.id) == where(lambda r: r.api_key_id == key.id)
    assert len(await ids(logs, who, api_key_id=key.id)) == 2
    assert await ids(logs, who, cache="exact") == where(lambda r: r.cache_status == "exact")
    assert await ids(logs, who, cache="miss") == where(lambda r: r.cache_status == "miss")
    assert await ids(logs, who, since=since_for("24h", NOW)) == where(
        lambda r: r.created_at > NOW - timedelta(days=1)
    )
    assert await ids(logs, who, until=NOW - timedelta(days=1)) == where(
        lambda r: r.created_at < NOW - timedelta(days=1)
    )
    assert await ids(logs, who, status="5xx", model="gpt-4o-mini", provider="openai") == where(
        lambda r: r.status_code >= 500
    )
    assert await ids(logs, who, status="ok", cache="semantic", provider="openai") == []


async def test_another_organizations_rows_never_show_even_by_its_key_id(
    logs: RequestLogs,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    make_key: Callable[..., ApiKey],
    add_logs: AddLogs,
) -> None:
    acme, globex = make_org("Acme"), make_org("Globex")
    globex_key = make_key(globex)
    add_logs(acme, NOW - timedelta(minutes=1), count=2)
    add_logs(globex, NOW - timedelta(minutes=1), count=3, api_key_id=globex_key.id)
    acme_viewer = actor(acme, MemberRole.OWNER)

    assert len(await ids(logs, acme_viewer)) == 2
    assert await ids(logs, acme_viewer, api_key_id=globex_key.id) == []
    globex_ids = await ids(logs, actor(globex))
    assert len(globex_ids) == 3
    for row_id in globex_ids:
        with pytest.raises(LookupError):
            await logs.detail(acme_viewer, row_id)
    options = await logs.options(acme_viewer)
    assert globex_key.id not in {key.id for key in options.keys}


async def test_a_member_of_another_organization_gets_nothing(
    logs: RequestLogs, actor: Callable[..., Actor], make_org: MakeOrg, add_logs: AddLogs
) -> None:
    acme, stranger_org = make_org("Acme"), make_org("Stranger")
    add_logs(acme, NOW - timedelta(minutes=1), count=4, provider="openai")
    stranger = actor(stranger_org, MemberRole.OWNER)

    page = await logs.page(stranger, LogFilter(provider="openai"))
    options = await logs.options(stranger)

    assert page.rows == () and page.next_cursor is None
    assert (options.providers, options.models, options.keys) == ((), (), ())


async def test_detail_shows_the_routing_decision_fallbacks_tokens_cost_and_timings(
    logs: RequestLogs,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    make_key: Callable[..., ApiKey],
    add_logs: AddLogs,
) -> None:
    org = make_org("Acme")
    key = make_key(org, "Checkout")
    routing = {
        "class": "simple",
        "strategy": "cost",
        "requested": "auto",
        "chosen": "groq/llama-3.3-70b-versatile",
        "attempts": 2,
        "candidates": [{"target": "openai/gpt-4o-mini", "score": 0.8}],
        "fallbacks": [{"candidate": "openai/gpt-4o-mini", "error": "upstream_unavailable"}],
        "skipped": ["anthropic/claude-3-5-haiku"],
    }
    add_logs(
        org,
        NOW - timedelta(seconds=30),
        api_key_id=key.id,
        prompt_tokens=321,
        completion_tokens=54,
        cost=1234,
        baseline_cost=5678,
        latency_ms=812,
        ttfb_ms=145,
        routing=routing,
    )
    who = actor(org)
    (row,) = (await logs.page(who, LogFilter())).rows

    detail = await logs.detail(who, row.id)

    assert detail.row.key_name == "Checkout"
    assert (detail.prompt_tokens, detail.completion_tokens, detail.row.total_tokens) == (
        321,
        54,
        375,
    )
    assert (detail.row.cost, detail.baseline_cost, detail.saved) == (1234, 5678, 4444)
    assert (detail.row.latency_ms, detail.ttfb_ms) == (812, 145)
    assert detail.routing is not None and detail.routing["strategy"] == "cost"
    assert [(f.candidate, f.error) for f in detail.fallbacks] == [
        ("openai/gpt-4o-mini", "upstream_unavailable")
    ]
    assert detail.skipped == ("anthropic/claude-3-5-haiku",)


async def test_a_failed_request_shows_its_error(
    logs: RequestLogs, actor: Callable[..., Actor], make_org: MakeOrg, add_logs: AddLogs
) -> None:
    org = make_org("Acme")
    add_logs(org, NOW, status_code=429, error_type="rate_limit_exceeded", provider=None)
    who = actor(org)
    (row,) = (await logs.page(who, LogFilter(status="429"))).rows

    detail = await logs.detail(who, row.id)

    assert (detail.row.status_code, detail.error_type, detail.routing) == (
        429,
        "rate_limit_exceeded",
        None,
    )
    assert detail.fallbacks == ()


async def test_filter_options_list_recent_providers_models_and_every_key(
    logs: RequestLogs,
    actor: Callable[..., Actor],
    make_org: MakeOrg,
    make_key: Callable[..., ApiKey],
    add_logs: AddLogs,
    add_day: Callable[..., None],
) -> None:
    org = make_org("Acme")
    key = make_key(org, "Checkout")
    add_day(org, NOW.date() - timedelta(days=3), requests=5)  # openai / gpt-4o-mini
    add_logs(org, NOW - timedelta(minutes=1))  # groq / llama-3.3-70b-versatile, live today

    options = await logs.options(actor(org))

    assert options.providers == ("groq", "openai")
    assert options.models == ("gpt-4o-mini", "llama-3.3-70b-versatile")
    assert [(k.id, k.label) for k in options.keys] == [(key.id, f"Checkout ({key.prefix}…)")]


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "2xx"},
        {"status": "999"},
        {"cache": "warm"},
        {"since": NOW.replace(tzinfo=None)},
    ],
)
def test_unknown_filter_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LogFilter(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_tampered_cursor_is_refused(
    logs: RequestLogs, actor: Callable[..., Actor], make_org: MakeOrg
) -> None:
    with pytest.raises(ValueError):
        decode_cursor("not-a-cursor")
    with pytest.raises(ValueError):
        await logs.page(actor(make_org("Acme")), LogFilter(), cursor="bm90fGE")


def test_time_ranges() -> None:
    assert since_for("1h", NOW) == NOW - timedelta(hours=1)
    assert since_for("all", NOW) is None
    with pytest.raises(ValueError):
        since_for("century", NOW)


PLAN_CASES = [
    (LogFilter(), "ix_request_logs_org_id_created_at_id"),
    (LogFilter(since=NOW - timedelta(days=1), status="ok"), "ix_request_logs_org_id_created_at_id"),
    (LogFilter(status="error"), "ix_request_logs_org_id_created_at_id_errors"),
    (LogFilter(status="4xx"), "ix_request_logs_org_id_created_at_id_errors"),
    (LogFilter(status="5xx"), "ix_request_logs_org_id_created_at_id_errors"),
    (LogFilter(status="429"), "ix_request_logs_org_id_status_code_created_at_id"),
    (LogFilter(provider="groq"), "ix_request_logs_org_id_provider_created_at_id"),
    (LogFilter(model="gpt-4o"), "ix_request_logs_org_id_model_used_created_at_id"),
    (LogFilter(api_key_id=uuid.uuid4()), "ix_request_logs_org_id_api_key_id_created_at_id"),
    (LogFilter(cache="semantic"), "ix_request_logs_org_id_cache_status_created_at_id"),
]


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize(("filters", "index"), PLAN_CASES)
def test_each_filter_reads_its_page_in_order_from_its_index_under_row_level_security(
    engine: Engine, make_org: MakeOrg, filters: LogFilter, index: str
) -> None:
    """Whether PostgreSQL can use an index here depends on the SQL (literal values for the
    partial indexes, leakproof operators under row-level security), not only on the index
    existing: with the alternatives priced out, the plan must be an ordered scan of the
    filter's own index, with no sort, for the first page and after a cursor alike."""
    org = make_org("Acme")
    for after in (None, (NOW, 42)):
        statement = page_query(org.id, filters, after).limit(51)
        compiled = statement.compile(dialect=engine.dialect)
        with tenant_session(engine, org.id) as session:
            connection = session.connection()
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.exec_driver_sql(f"SET LOCAL {setting} = off")
            plan = connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params
            ).scalar_one()[0]["Plan"]
        nodes = list(_nodes(plan))
        assert [n["Index Name"] for n in nodes if "Index Name" in n] == [index]
        assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)


def _nodes(plan: dict[str, object]) -> Iterator[dict[str, object]]:
    yield plan
    for child in plan.get("Plans", []):  # type: ignore[attr-defined]
        yield from _nodes(child)
