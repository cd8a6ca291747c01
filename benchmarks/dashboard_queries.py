"""The dashboard's usage and request log queries on PostgreSQL, at a million log rows.

    python -m benchmarks.dashboard_queries [--rows 1000000] [--big-share 0.9] [--orgs 100]
        [--usage-days 365] [--runs 50] [--explain]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Runs against a fresh PostgreSQL database owned by the non-superuser app role, so every
query pays row-level security as in production (see benchmarks/pgdb.py).

1. Fill: `--rows` request_logs rows over the last 30 days, generated in the database
   (INSERT … SELECT generate_series, 100,000 rows a statement, each organization's rows
   inside its own tenant session): `--big-share` of them belong to one busy organization,
   whose log is measured; the rest are spread over the other `--orgs` - 1. The busy
   organization's traffic is skewed as real traffic is: five providers (one at 1 %),
   a dozen models (one at 0.1 %), five keys (one at 0.05 %), 95 % successes, a few
   rare status codes, cache hits at 10 % (exact) and 4 % (semantic).
   Then `--usage-days` days of usage_daily for every organization (breakdowns by
   provider and by model, as the roll-up writes them). Both fills are timed; ANALYZE
   follows, as autovacuum would.
2. Request log: the first page (50 rows) of each filter, as the dashboard asks for it
   (`RequestLogs.page`), `--runs` times: p50 / p95 / max. Also the page after a cursor,
   and another organization's key id as a filter (nothing found). `--explain` prints the
   index each plan used (EXPLAIN ANALYZE).
3. Usage page: `UsageReports.report` for the busy organization (usage_daily plus today's
   live rows from request_logs) over 7, 30, 90 and 365 days, and the same plus building
   the three tables and their CSV, `--runs` times.

Results are printed and written to benchmarks/results/dashboard_queries-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from benchmarks.pgdb import DEFAULT_ADMIN_URL, scratch_database
from gateway.auth.permissions import Actor
from gateway.dashboard.logs import LogFilter, RequestLogs, page_query
from gateway.dashboard.usage import GROUPS, UsageReports, resolve_range, to_csv, usage_table
from gateway.db.engine import make_engine
from gateway.db.enums import MemberRole
from gateway.db.migrate import upgrade
from gateway.db.orgs import create_organization
from gateway.db.sessions import system_session, tenant_session
from gateway.tenancy.keys import create_api_key

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 100_000
LOG_DAYS = 30

# u, v, w, x: four decorrelated pseudo-random numbers in [0, 10000) per row g.
GENERATE_LOGS = text("""
INSERT INTO request_logs (
    request_id, org_id, api_key_id, created_at, provider, model_requested, model_used,
    prompt_tokens, completion_tokens, total_tokens, cost, baseline_cost, latency_ms, ttfb_ms,
    status_code, error_type, cache_status, streamed, routing)
SELECT
    'bench-' || :tag || '-' || g,
    CAST(:org_id AS uuid),
    (CAST(:keys AS uuid[]))[CASE WHEN w < 5 THEN 5 ELSE 1 + w % 4 END],
    CAST(:now AS timestamptz) - (g::bigint * :span_s / :total) * interval '1 second',
    CASE WHEN status IN (400, 429) THEN NULL ELSE provider END,
    'auto',
    CASE WHEN status IN (400, 429) THEN NULL ELSE model END,
    p, c, p + c,
    round((1 + u % 997)::numeric / 1000000, 6),
    round((500 + v % 9973)::numeric / 1000000, 6),
    40 + v % 2000,
    15 + u % 400,
    status,
    CASE status WHEN 200 THEN NULL WHEN 429 THEN 'rate_limit_exceeded'
        WHEN 400 THEN 'invalid_request_error' ELSE 'upstream_error' END,
    CASE WHEN x < 1000 THEN 'exact' WHEN x < 1400 THEN 'semantic'
        WHEN x < 1500 THEN 'bypass' ELSE 'miss' END,
    u % 3 = 0,
    CASE WHEN status IN (400, 429) THEN NULL ELSE jsonb_build_object(
        'class', 'simple', 'strategy', 'balanced', 'requested', 'auto',
        'chosen', provider || '/' || model, 'attempts', 1, 'local_first', false,
        'candidates', jsonb_build_array(
            jsonb_build_object('target', provider || '/' || model, 'source', 'platform',
                               'score', 0.91, 'cost', 0.8, 'quality', 0.9, 'latency', 0.95),
            jsonb_build_object('target', 'openai/gpt-4o-mini', 'source', 'platform',
                               'score', 0.84, 'cost', 0.7, 'quality', 0.85, 'latency', 0.9)))
    END
FROM (
    SELECT g, u, v, w, x,
        100 + u % 900 AS p,
        20 + v % 300 AS c,
        CASE WHEN v < 9500 THEN 200 WHEN v < 9700 THEN 429 WHEN v < 9800 THEN 400
             WHEN v < 9900 THEN 502 WHEN v < 9960 THEN 503 WHEN v < 9999 THEN 504
             ELSE 500 END AS status,
        CASE WHEN u < 4000 THEN 'openai' WHEN u < 7000 THEN 'groq'
             WHEN u < 9000 THEN 'anthropic' WHEN u < 9900 THEN 'together'
             ELSE 'ollama' END AS provider,
        CASE WHEN x % 1000 = 0 THEN 'rare-model-1'
             ELSE (ARRAY['gpt-4o-mini', 'gpt-4o', 'llama-3.1-8b-instant',
                         'llama-3.3-70b-versatile', 'claude-3-5-haiku', 'claude-sonnet-4',
                         'mixtral-8x7b', 'qwen2.5', 'gemma2-9b-it', 'o3-mini',
                         'deepseek-v3'])[1 + x % 11] END AS model
    FROM (
        SELECT g,
            (g * 7919 + 17) % 10000 AS u,
            (g * 104729 + 3) % 10007 % 10000 AS v,
            (g * 1299709 + 11) % 10009 % 10000 AS w,
            (g * 15485863 + 7) % 10037 % 10000 AS x
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
    ) AS r
) AS q
""")

GENERATE_DAILY = text("""
INSERT INTO usage_daily (
    org_id, day, requests, prompt_tokens, completion_tokens, total_tokens, cost,
    baseline_cost, cache_hits, cache_misses, errors, by_provider, by_model, updated_at)
SELECT
    CAST(:org_id AS uuid), CAST(:today AS date) - d, n, n * 300, n * 120, n * 420,
    n * 0.000450, n * 0.002100, n / 10, n - n / 10 - n / 50, n / 50,
    jsonb_build_object(
        'openai', jsonb_build_object('requests', n / 2, 'prompt_tokens', n / 2 * 300,
            'completion_tokens', n / 2 * 120, 'cost', n / 2 * 450, 'baseline_cost', n / 2 * 2100),
        'groq', jsonb_build_object('requests', n - n / 2, 'prompt_tokens', (n - n / 2) * 300,
            'completion_tokens', (n - n / 2) * 120, 'cost', (n - n / 2) * 450,
            'baseline_cost', (n - n / 2) * 2100)),
    jsonb_build_object(
        'gpt-4o-mini', jsonb_build_object('requests', n / 2, 'prompt_tokens', n / 2 * 300,
            'completion_tokens', n / 2 * 120, 'cost', n / 2 * 450, 'baseline_cost', n / 2 * 2100),
        'llama-3.1-8b-instant', jsonb_build_object('requests', n - n / 2,
            'prompt_tokens', (n - n / 2) * 300, 'completion_tokens', (n - n / 2) * 120,
            'cost', (n - n / 2) * 450, 'baseline_cost', (n - n / 2) * 2100)),
    now()
FROM (SELECT d, 1000 + (d * 7919) % 5000 AS n FROM generate_series(1, :days) AS d) AS s
""")


class Tenant:
    def __init__(self, org_id: uuid.UUID, key_ids: list[uuid.UUID]) -> None:
        self.org_id = org_id
        self.key_ids = key_ids
        self.actor = Actor(uuid.uuid4(), org_id, MemberRole.VIEWER)


def seed_tenants(engine: Engine, count: int) -> list[Tenant]:
    tenants = []
    for n in range(count):
        with system_session(engine) as session:
            org = create_organization(session, name=f"Bench {n}", plan="enterprise")
        with tenant_session(engine, org.id) as session:
            keys = [
                create_api_key(session, org=org, name=f"key {k}", environment="prod")[0].id
                for k in range(5)
            ]
        tenants.append(Tenant(org.id, keys))
    return tenants


def fill_logs(engine: Engine, tenants: list[Tenant], rows: int, big_share: float) -> float:
    """request_logs rows: `big_share` of `rows` for tenants[0], the rest spread; seconds taken."""
    big = int(rows * big_share)
    shares = [(tenants[0], big)]
    others = tenants[1:]
    for n, tenant in enumerate(others):
        shares.append((tenant, (rows - big) // len(others) + (n < (rows - big) % len(others))))
    now = datetime.now(UTC)
    started = time.perf_counter()
    done = 0
    for n, (tenant, count) in enumerate(shares):
        for first in range(1, count + 1, CHUNK):
            last = min(count, first + CHUNK - 1)
            with tenant_session(engine, tenant.org_id) as session:
                session.execute(
                    GENERATE_LOGS,
                    {
                        "tag": n,
                        "org_id": str(tenant.org_id),
                        "keys": tenant.key_ids,
                        "now": now,
                        "span_s": LOG_DAYS * 86_400,
                        "total": count,
                        "first": first,
                        "last": last,
                    },
                )
            done += last - first + 1
            if n == 0:
                print(f"    {done:,} rows, {time.perf_counter() - started:.1f}s", flush=True)
    return time.perf_counter() - started


def fill_usage(engine: Engine, tenants: list[Tenant], days: int) -> float:
    started = time.perf_counter()
    today = datetime.now(UTC).date()
    for tenant in tenants:
        with tenant_session(engine, tenant.org_id) as session:
            session.execute(
                GENERATE_DAILY, {"org_id": str(tenant.org_id), "today": today, "days": days}
            )
    return time.perf_counter() - started


def analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE request_logs"))
        conn.execute(text("ANALYZE usage_daily"))


def log_filters(busy: Tenant, stranger: Tenant, now: datetime) -> dict[str, LogFilter]:
    day = now - timedelta(days=1)
    return {
        "no filter (all time)": LogFilter(),
        "last 24 hours": LogFilter(since=day),
        "last hour": LogFilter(since=now - timedelta(hours=1)),
        "status ok": LogFilter(status="ok"),
        "status error (5 %)": LogFilter(status="error"),
        "status 4xx (3 %)": LogFilter(status="4xx"),
        "status 5xx (1.4 %)": LogFilter(status="5xx"),
        "status 429 (2 %)": LogFilter(status="429"),
        "status 500 (0.01 %)": LogFilter(status="500"),
        "provider openai (40 %)": LogFilter(provider="openai"),
        "provider ollama (1 %)": LogFilter(provider="ollama"),
        "model gpt-4o (9 %)": LogFilter(model="gpt-4o"),
        "model rare (0.1 %)": LogFilter(model="rare-model-1"),
        "model unused (0 rows)": LogFilter(model="never-used"),
        "key common (25 %)": LogFilter(api_key_id=busy.key_ids[0]),
        "key rare (0.05 %)": LogFilter(api_key_id=busy.key_ids[4]),
        "another org's key": LogFilter(api_key_id=stranger.key_ids[0]),
        "cache exact (10 %)": LogFilter(cache="exact"),
        "cache semantic (4 %)": LogFilter(cache="semantic"),
        "cache miss (85 %)": LogFilter(cache="miss"),
        "24 h + 5xx": LogFilter(since=day, status="5xx"),
        "groq + 5xx": LogFilter(provider="groq", status="5xx"),
        "model gpt-4o + cache exact": LogFilter(model="gpt-4o", cache="exact"),
        "key common + status 429": LogFilter(api_key_id=busy.key_ids[0], status="429"),
    }


def timings(call: Callable[[], Awaitable[Any]], runs: int) -> dict[str, float]:
    async def measure() -> list[float]:
        await call()  # warm the pool and the caches
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            await call()
            samples.append((time.perf_counter() - started) * 1000)
        return sorted(samples)

    samples = asyncio.run(measure())
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
    }


def plan_indexes(engine: Engine, busy: Tenant, filters: LogFilter) -> tuple[str, float]:
    """The indexes the first page's plan used, and its execution time, by EXPLAIN ANALYZE."""
    statement = page_query(busy.org_id, filters).limit(51)
    compiled = statement.compile(dialect=engine.dialect)
    with tenant_session(engine, busy.org_id) as session:
        connection = session.connection()
        raw = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled), compiled.params
        ).scalar_one()
    plan = raw[0] if isinstance(raw, list) else json.loads(raw)[0]
    names: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node and node["Index Name"] not in names:
            names.append(node["Index Name"].removeprefix("ix_request_logs_"))
        if node.get("Node Type") == "Sort":
            names.append("sort")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return ", ".join(names) or "seq scan", round(plan["Execution Time"], 2)


def bench_logs(engine: Engine, tenants: list[Tenant], runs: int, explain: bool) -> dict[str, Any]:
    logs = RequestLogs(engine)
    busy, stranger = tenants[0], tenants[1]
    results: dict[str, Any] = {}
    print(f"  {'filter':<30} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, filters in log_filters(busy, stranger, datetime.now(UTC)).items():
        first = asyncio.run(logs.page(busy.actor, filters))
        figures: dict[str, Any] = {
            "rows": len(first.rows),
            **timings(lambda f=filters: logs.page(busy.actor, f), runs),  # type: ignore[misc]
        }
        line = (
            f"  {name:<30} {figures['rows']:>5} {figures['p50_ms']:>8} "
            f"{figures['p95_ms']:>8} {figures['max_ms']:>8}"
        )
        if explain:
            figures["plan"], figures["explain_ms"] = plan_indexes(engine, busy, filters)
            line += f"   {figures['plan']}"
        print(line, flush=True)
        results[name] = figures
    page = asyncio.run(logs.page(busy.actor, LogFilter()))
    for _ in range(19):  # the 21st page: each page starts from the previous one's cursor
        page = asyncio.run(logs.page(busy.actor, LogFilter(), cursor=page.next_cursor))
    cursor = page.next_cursor
    deep = timings(lambda: logs.page(busy.actor, LogFilter(), cursor=cursor), runs)
    print(f"  {'page 21 (after a cursor)':<30} {50:>5} {deep['p50_ms']:>8} {deep['p95_ms']:>8}")
    results["page 21"] = deep
    return results


def bench_usage(
    engine: Engine, busy: Tenant, runs: int, now: datetime | None = None
) -> dict[str, Any]:
    """The usage page's queries; `now` (default: the real time) decides which day is live."""
    reports = UsageReports(engine, clock=lambda: now or datetime.now(UTC))
    today = reports.today()
    results: dict[str, Any] = {}
    for preset, first in (
        ("7d", None),
        ("30d", None),
        ("90d", None),
        ("365 days", today - timedelta(days=364)),
    ):
        days = (
            resolve_range(preset, today=today)
            if first is None
            else resolve_range("custom", today=today, start=first, end=today)
        )

        async def page(days: Any = days) -> None:
            report = await reports.report(busy.actor, days)
            for group in GROUPS:
                to_csv(usage_table(report, group))

        report_ms = timings(lambda days=days: reports.report(busy.actor, days), runs)  # type: ignore[misc]
        page_ms = timings(page, runs)
        print(
            f"  {preset:<10} report p50 {report_ms['p50_ms']} ms, p95 {report_ms['p95_ms']} ms;"
            f" with tables + CSV p50 {page_ms['p50_ms']} ms, p95 {page_ms['p95_ms']} ms"
        )
        results[preset] = {"report": report_ms, "with_tables_and_csv": page_ms}
    return results


def today_rows(engine: Engine, busy: Tenant, now: datetime | None) -> int:
    """The busy organization's rows on `now`'s UTC day (today by default), up to `now`."""
    end = now or datetime.now(UTC)
    midnight = datetime.combine(end.date(), datetime.min.time(), UTC)
    with tenant_session(engine, busy.org_id) as session:
        return int(
            session.execute(
                text(
                    "SELECT count(*) FROM request_logs WHERE org_id = :o"
                    " AND created_at >= :m AND created_at <= :e"
                ),
                {"o": busy.org_id, "m": midnight, "e": end},
            ).scalar_one()
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-share", type=float, default=0.9)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--usage-days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "args": vars(args)}
    with scratch_database(args.admin_url) as url:
        upgrade(url)
        engine = make_engine(url)
        tenants = seed_tenants(engine, args.orgs)
        print(f"fill: {args.rows:,} request_logs rows, {args.big_share:.0%} in one organization")
        fill_s = fill_logs(engine, tenants, args.rows, args.big_share)
        print(f"  request_logs filled in {fill_s:.1f}s ({args.rows / fill_s:,.0f} rows/s)")
        usage_s = fill_usage(engine, tenants, args.usage_days)
        print(
            f"  usage_daily: {args.orgs} organizations x {args.usage_days} days in {usage_s:.1f}s"
        )
        analyze(engine)
        results["fill"] = {"request_logs_s": round(fill_s, 1), "usage_daily_s": round(usage_s, 1)}
        print(f"request log, busy organization, first page of 50, {args.runs} runs each:")
        results["logs"] = bench_logs(engine, tenants, args.runs, args.explain)
        busy = tenants[0]
        print(
            f"usage page, busy organization ({today_rows(engine, busy, None):,} live rows today"
            f" + usage_daily), {args.runs} runs each:"
        )
        results["usage"] = bench_usage(engine, busy, args.runs)
        late = datetime.combine(date.today(), datetime.min.time(), UTC) - timedelta(seconds=1)
        print(
            f"usage page at 23:59:59 yesterday (a full day live: "
            f"{today_rows(engine, busy, late):,} rows), {args.runs} runs each:"
        )
        results["usage_full_day_live"] = bench_usage(engine, busy, args.runs, late)
        engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"dashboard_queries-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {path.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
