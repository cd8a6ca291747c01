"""The usage pipeline on PostgreSQL: ingestion throughput, roll-up time, dashboard chart query.

    python -m benchmarks.ingest_bench [--records 100000] [--repeat 3] [--orgs 100]
        [--rollup-rows 1000000] [--days 30] [--chart-runs 300]
        [--redis redis://127.0.0.1:6379/6] [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Runs against a fresh PostgreSQL database owned by the non-superuser app role, so every
query pays row-level security as in production (see benchmarks/pgdb.py), and against the
Redis database given, which it empties first.

1. Ingestion: `--records` usage records from `--orgs` organizations (one API key each, so
   last_used_at is kept too) are appended to the stream, then ONE consumer (`ingest_once`,
   batches of 1000, exactly what `python -m workers ingest` runs) drains it. Timed from the
   first read to the stream being empty; best and median of `--repeat` runs.
2. Roll-up: request_logs is filled up to `--rollup-rows` rows spread over the organizations
   and the last `--days` days (generated in the database), every (organization, day) pair
   is marked, and one `rollup_dirty` recomputes them all: the worst case, a full rebuild.
   Then the incremental case: only today's pairs.
3. Chart: the 30-day usage chart of one organization (`daily_usage`, from usage_daily), in
   a tenant session of its own as the dashboard opens one, `--chart-runs` times; and, for
   comparison, the same figures computed by scanning request_logs.

Results are printed and written to benchmarks/results/ingest_bench-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, func, text
from sqlmodel import select

from benchmarks.pgdb import DEFAULT_ADMIN_URL, scratch_database
from gateway.analytics.dirty import OrgDay, mark_dirty
from gateway.analytics.queries import daily_usage
from gateway.analytics.rollup import day_groups, rollup_dirty
from gateway.db.engine import make_engine
from gateway.db.migrate import upgrade
from gateway.db.models import RequestLog, UsageDaily
from gateway.db.orgs import create_organization
from gateway.db.sessions import system_session, tenant_session
from gateway.tenancy.keys import create_api_key
from workers.ingest import IngestConfig, ensure_group, ingest_once

RESULTS = Path(__file__).resolve().parent / "results"
Tenant = tuple[uuid.UUID, uuid.UUID]  # org id, key id

GENERATE_LOGS = text("""
INSERT INTO request_logs (
    request_id, org_id, created_at, provider, model_requested, model_used, prompt_tokens,
    completion_tokens, total_tokens, cost, baseline_cost, latency_ms, ttfb_ms, status_code,
    error_type, cache_status, streamed)
SELECT
    'gen-' || :tag || '-' || g,
    CAST(:org_id AS uuid),
    CAST(:first_day AS timestamptz) + (g % :days) * interval '1 day'
        + (g * 7919 % 86400) * interval '1 second',
    (ARRAY['openai', 'groq', 'anthropic'])[1 + g % 3],
    'auto',
    (ARRAY['gpt-4o-mini', 'llama-3.1-8b-instant', 'claude-3-5-haiku-latest'])[1 + g % 3],
    100 + g % 500,
    20 + g % 200,
    120 + g % 500 + g % 200,
    round((1 + g % 997)::numeric / 1000000, 6),
    round((500 + g % 9973)::numeric / 1000000, 6),
    50 + g % 900,
    20 + g % 300,
    CASE WHEN g % 50 = 0 THEN 429 ELSE 200 END,
    CASE WHEN g % 50 = 0 THEN 'rate_limit_exceeded' END,
    CASE WHEN g % 10 = 0 THEN 'exact' WHEN g % 17 = 0 THEN 'semantic' ELSE 'miss' END,
    g % 4 = 0
FROM generate_series(1, :count) AS g
""")


def seed_tenants(engine: Engine, count: int) -> list[Tenant]:
    tenants = []
    for n in range(count):
        with system_session(engine) as session:
            org = create_organization(session, name=f"Bench {n}", plan="enterprise")
        with tenant_session(engine, org.id) as session:
            key, _ = create_api_key(session, org=org, name="bench", environment="prod")
        tenants.append((org.id, key.id))
    return tenants


def fill_stream(client: redis.Redis, tenants: list[Tenant], count: int, run: int) -> None:
    now_ms = int(time.time() * 1000)
    pipe = client.pipeline(transaction=False)
    for n in range(count):
        org_id, key_id = tenants[n % len(tenants)]
        record: Any = {
            "request_id": f"bench-{run}-{n}",
            "created_at_ms": now_ms + n % 1000,
            "org_id": str(org_id),
            "key_id": str(key_id),
            "endpoint": "/v1/chat/completions",
            "provider": "openai",
            "model_requested": "gpt-4o-mini",
            "model_used": "gpt-4o-mini",
            "prompt_tokens": 120 + n % 50,
            "completion_tokens": 40 + n % 20,
            "cost_micro": 42 + n % 7,
            "baseline_micro": 700 + n % 11,
            "latency_ms": 230,
            "ttfb_ms": 80,
            "status": 200,
            "error_type": "",
            "cache_status": "miss",
            "streamed": n % 2,
        }
        pipe.xadd(IngestConfig().stream, record)
        if n % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def bench_ingest(
    client: redis.Redis, engine: Engine, tenants: list[Tenant], records: int, repeat: int
) -> dict[str, Any]:
    config = IngestConfig()
    ensure_group(client, config)
    rates = []
    for run in range(repeat):
        fill_stream(client, tenants, records, run)
        started = time.perf_counter()
        written = 0
        while batch := ingest_once(client, engine, "bench", config, block=False):
            written += batch
        elapsed = time.perf_counter() - started
        assert written == records and client.xlen(config.stream) == 0
        rates.append(records / elapsed)
        print(f"  ingest run {run + 1}: {records:,} records in {elapsed:.2f}s = {rates[-1]:,.0f}/s")
    return {
        "records_per_run": records,
        "runs": repeat,
        "best_records_per_s": round(max(rates)),
        "median_records_per_s": round(statistics.median(rates)),
    }


def fill_logs(engine: Engine, tenants: list[Tenant], rows: int, days: int) -> int:
    """Generate request_logs rows in the database up to `rows` in all; returns the total."""
    total = count_logs(engine, tenants)
    missing = max(0, rows - total)
    first_day = datetime.combine(date.today() - timedelta(days=days - 1), datetime.min.time(), UTC)
    per_org = missing // len(tenants)
    for n, (org_id, _) in enumerate(tenants):
        extra = per_org + (1 if n < missing % len(tenants) else 0)
        with tenant_session(engine, org_id) as session:
            session.execute(
                GENERATE_LOGS,
                {
                    "tag": n,
                    "org_id": str(org_id),
                    "first_day": first_day,
                    "days": days,
                    "count": extra,
                },
            )
    with engine.begin() as conn:  # fresh statistics, as autovacuum would gather them
        conn.execute(text("ANALYZE request_logs"))
    return count_logs(engine, tenants)


def count_logs(engine: Engine, tenants: list[Tenant]) -> int:
    total = 0
    for org_id, _ in tenants:
        with tenant_session(engine, org_id) as session:
            statement = (
                select(func.count()).select_from(RequestLog).where(RequestLog.org_id == org_id)
            )
            total += session.exec(statement).one()
    return total


def bench_rollup(
    client: redis.Redis, engine: Engine, tenants: list[Tenant], rows: int, days: int
) -> dict[str, Any]:
    total = fill_logs(engine, tenants, rows, days)
    today = datetime.now(UTC).date()
    all_days = [today - timedelta(days=n) for n in range(days)]
    mark_dirty(client, [OrgDay(org_id, day) for org_id, _ in tenants for day in all_days])
    started = time.perf_counter()
    full = rollup_dirty(engine, client, now=datetime.now(UTC))
    full_s = time.perf_counter() - started
    rolled = sum_requests(engine, tenants)
    assert rolled == total, (rolled, total)
    print(f"  full roll-up: {total:,} rows, {full.pairs:,} pairs in {full_s:.2f}s")
    mark_dirty(client, [OrgDay(org_id, today) for org_id, _ in tenants])
    started = time.perf_counter()
    daily = rollup_dirty(engine, client, now=datetime.now(UTC))
    daily_s = time.perf_counter() - started
    print(f"  incremental roll-up (today's {daily.pairs} pairs): {daily_s:.2f}s")
    return {
        "request_log_rows": total,
        "pairs": full.pairs,
        "full_rollup_s": round(full_s, 3),
        "rows_per_s": round(total / full_s),
        "incremental_pairs": daily.pairs,
        "incremental_rollup_s": round(daily_s, 3),
    }


def sum_requests(engine: Engine, tenants: list[Tenant]) -> int:
    total = 0
    for org_id, _ in tenants:
        with tenant_session(engine, org_id) as session:
            statement = select(func.sum(UsageDaily.requests)).where(UsageDaily.org_id == org_id)
            total += session.exec(statement).one() or 0
    return total


def bench_chart(engine: Engine, org_id: uuid.UUID, runs: int) -> dict[str, Any]:
    last = datetime.now(UTC).date()
    first = last - timedelta(days=29)

    def chart() -> int:
        with tenant_session(engine, org_id) as session:
            return len(daily_usage(session, org_id=org_id, first=first, last=last))

    def scan() -> int:
        with tenant_session(engine, org_id) as session:
            return len(day_groups(session, org_id=org_id, first=first, last=last))

    chart_ms = timings(chart, runs)
    scan_ms = timings(scan, max(5, runs // 20))
    print(
        f"  30-day chart from usage_daily: p50 {chart_ms['p50_ms']} ms, "
        f"p99 {chart_ms['p99_ms']} ms; by scanning request_logs: p50 {scan_ms['p50_ms']} ms"
    )
    return {"from_usage_daily": chart_ms, "scanning_request_logs": scan_ms}


def timings(call: Any, runs: int) -> dict[str, Any]:
    call()  # warm the pool and the caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(runs * 0.95) - 1], 2),
        "p99_ms": round(samples[max(0, int(runs * 0.99) - 1)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--rollup-rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--chart-runs", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()

    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "args": vars(args)}
    with scratch_database(args.admin_url) as url:
        upgrade(url)
        engine = make_engine(url)
        tenants = seed_tenants(engine, args.orgs)
        print(f"ingestion, one consumer, {args.orgs} organizations:")
        results["ingest"] = bench_ingest(client, engine, tenants, args.records, args.repeat)
        print(f"roll-up of {args.rollup_rows:,} request_logs rows over {args.days} days:")
        results["rollup"] = bench_rollup(client, engine, tenants, args.rollup_rows, args.days)
        print("dashboard chart of one organization:")
        results["chart"] = bench_chart(engine, tenants[0][0], args.chart_runs)
        engine.dispose()
    client.flushdb()
    client.close()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"ingest_bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {path.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
