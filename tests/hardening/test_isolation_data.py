"""Tenant isolation below the API: the background jobs write only their organization's rows,
the analytics reads return only the scoped organization's, and on PostgreSQL row-level
security refuses the application's own role every read and write across organizations.

Traffic is real: both organizations send requests through the gateway, and the jobs run
on what the gateway recorded. Attempts are counted in the ledger (`isolation`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session

from gateway.analytics.alerts import raise_budget_alerts
from gateway.analytics.queries import (
    daily_usage,
    period_budget_alerts,
    recent_budget_alerts,
    usage_totals,
)
from gateway.analytics.retention import purge_org_logs
from gateway.analytics.rollup import rollup_dirty
from gateway.billing.metering import record_usage
from gateway.budget.period import budget_period
from gateway.db.engine import make_engine
from gateway.db.enums import BudgetKind
from gateway.db.migrate import upgrade
from gateway.db.models import (
    TENANT_TABLES,
    BenchmarkRun,
    BudgetAlert,
    Invitation,
    MeterReport,
    Organization,
    RequestLog,
)
from gateway.db.orgs import create_organization
from gateway.db.sessions import system_session, tenant_session
from gateway.db.users import create_user
from tests.fixtures.db import APP_ROLE, OWNER_ROLE, PostgresServer
from tests.gateway.conftest import Tenant
from tests.hardening.isolation_world import World, build_world
from tests.hardening.ledger import Ledger
from workers.ingest import IngestConfig, ensure_group, ingest_once

CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Say something short."}],
    "max_tokens": 16,
}
EMBED = {"model": "text-embedding-3-small", "input": "hello"}


@dataclass(frozen=True)
class Served:
    world: World
    ids: dict[uuid.UUID, set[str]]  # request ids served, per organization
    now: datetime

    @property
    def acme(self) -> Organization:
        return self.world.acme.org

    @property
    def globex(self) -> Organization:
        return self.world.globex.org

    def pairs(self) -> list[tuple[Organization, Organization]]:
        """(own, other) both ways."""
        return [(self.acme, self.globex), (self.globex, self.acme)]


def send(http: httpx.Client, tenant: Tenant, path: str, body: dict[str, Any]) -> str:
    response = http.post(path, json=body, headers={"Authorization": f"Bearer {tenant.key}"})
    assert response.status_code == 200, response.text
    return response.headers["x-request-id"]


@pytest.fixture
def served(
    engine: Engine,
    make_tenant: Callable[..., Tenant],
    gateway_url: str,
    redis_client: redis.Redis,
) -> Served:
    """Both organizations' traffic through the gateway, interleaved, then ingested."""
    world = build_world(engine, make_tenant)
    ids: dict[uuid.UUID, set[str]] = {world.acme.org.id: set(), world.globex.org.id: set()}
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        for turn in range(6):
            ids[world.acme.org.id].add(send(http, world.acme, "/v1/chat/completions", CHAT))
            if turn < 4:
                ids[world.globex.org.id].add(send(http, world.globex, "/v1/chat/completions", CHAT))
            else:
                ids[world.globex.org.id].add(send(http, world.globex, "/v1/embeddings", EMBED))
    ensure_group(redis_client, IngestConfig())
    expected = sum(len(found) for found in ids.values())
    written = 0
    for _ in range(50):
        written += ingest_once(redis_client, engine, "hardening", block=False)
        if written >= expected:
            break
    assert written == expected
    return Served(world, ids, datetime.now(UTC))


def column(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.execute(text(sql), params).scalars())


def test_ingestion_writes_every_record_in_its_own_organization_only(
    engine: Engine, served: Served, ledger: Ledger
) -> None:
    for own, other in served.pairs():
        with tenant_session(engine, own.id) as session:
            # No filter at all: row-level security alone decides what the scope sees.
            seen = column(session, "SELECT request_id FROM request_logs")
            assert set(seen) == served.ids[own.id]
            crossing = column(
                session, "SELECT request_id FROM request_logs WHERE org_id = :o", o=other.id
            )
            assert ledger.attempt("isolation", refused=crossing == [])
            used = column(session, "SELECT last_used_at FROM api_keys WHERE key_hash IS NOT NULL")
            assert any(used)  # the key that was used got its last use, in its own scope
    with system_session(engine) as session:  # no scope: no tenant rows at all
        assert column(session, "SELECT request_id FROM request_logs") == []


def test_rollup_alerts_metering_and_retention_touch_only_their_own_organization(
    engine: Engine, served: Served, redis_client: redis.Redis, ledger: Ledger
) -> None:
    acme, globex = served.acme, served.globex
    tokens = {org.id: _tokens(engine, org) for org in (acme, globex)}
    # Acme's budget is set so that its own usage is 60 %: with Globex's counted too it
    # would pass 80 % (Globex sent two thirds as many chats). Globex has no budget.
    with system_session(engine) as session:
        for org in (acme, globex):
            org.stripe_customer_id = f"cus_{org.slug}"
            session.add(org)
        acme.monthly_token_budget = tokens[acme.id] * 100 // 60
        session.add(acme)

    rollup_dirty(engine, redis_client, now=served.now)
    alerts = raise_budget_alerts(engine, redis_client, org_ids=[acme.id, globex.id], now=served.now)
    record_usage(engine, now=served.now + timedelta(hours=2))

    assert sorted((a.org_id, a.threshold) for a in alerts) == [(acme.id, 50)]
    assert ledger.attempt("isolation", refused=all(a.org_id == acme.id for a in alerts))
    for own, _ in served.pairs():
        with tenant_session(engine, own.id) as session:
            daily = column(session, "SELECT requests FROM usage_daily")
            assert ledger.attempt("isolation", refused=daily == [len(served.ids[own.id])])
            metered = column(
                session, "SELECT quantity FROM meter_reports WHERE meter = 'llm_tokens_used'"
            )
            assert ledger.attempt("isolation", refused=sum(metered) == tokens[own.id])

    purged = purge_org_logs(engine, org_id=acme.id, cutoff=served.now + timedelta(days=1))
    assert purged == len(served.ids[acme.id])
    with tenant_session(engine, globex.id) as session:
        left = set(column(session, "SELECT request_id FROM request_logs"))
    assert ledger.attempt("isolation", refused=left == served.ids[globex.id])


def test_analytics_reads_return_only_the_scoped_organization(
    engine: Engine, served: Served, redis_client: redis.Redis, ledger: Ledger
) -> None:
    rollup_dirty(engine, redis_client, now=served.now)
    day, period = served.now.date(), budget_period(served.now, 1).id
    for org in (served.acme, served.globex):
        with tenant_session(engine, org.id) as session:
            session.add(
                BudgetAlert(org_id=org.id, period=period, kind=BudgetKind.TOKENS, threshold=50)
            )
    for own, other in served.pairs():
        with tenant_session(engine, own.id) as session:
            mine = usage_totals(session, org_id=own.id, first=day, last=day)
            assert mine.requests == len(served.ids[own.id])
            reads = [
                usage_totals(session, org_id=other.id, first=day, last=day).requests == 0,
                all(
                    p.requests == 0
                    for p in daily_usage(session, org_id=other.id, first=day, last=day)
                ),
                recent_budget_alerts(session, org_id=other.id) == [],
                period_budget_alerts(session, org_id=other.id, period_id=period) == [],
            ]
            for refused in reads:
                assert ledger.attempt("isolation", refused=refused)
            assert len(recent_budget_alerts(session, org_id=own.id)) == 1


@pytest.fixture
def filled(engine: Engine, served: Served, redis_client: redis.Redis) -> Served:
    """`served`, with at least one row of each organization in every tenant table."""
    rollup_dirty(engine, redis_client, now=served.now)
    hour = served.now.replace(minute=0, second=0, microsecond=0)
    for org in (served.acme, served.globex):
        with tenant_session(engine, org.id) as session:
            session.add(BudgetAlert(org_id=org.id, period="p", kind=BudgetKind.USD, threshold=100))
            session.add(MeterReport(org_id=org.id, meter="m", hour=hour, identifier=f"{org.id}:m"))
            session.add(BenchmarkRun(org_id=org.id))
            session.add(
                Invitation(
                    org_id=org.id, email="x@example.com", token_hash=org.id.hex * 2, expires_at=hour
                )
            )
            if org.id == served.acme.id:
                session.execute(
                    text(
                        "INSERT INTO provider_credentials (id, org_id, provider, "
                        "encrypted_secret, last_four, created_at, updated_at) VALUES "
                        "(:id, :org, 'anthropic', :secret, 'abcd', now(), now())"
                    ),
                    {"id": uuid.uuid4(), "org": org.id, "secret": b"x"},
                )
    return served


def test_row_level_security_refuses_the_application_role_across_organizations(
    engine: Engine, filled: Served, ledger: Ledger
) -> None:
    with engine.connect() as conn:
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        assert tuple(role) == (False, False)
        secured: dict[str, bool] = dict(
            conn.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c "
                    "JOIN information_schema.columns i ON i.table_name = c.relname "
                    "WHERE i.column_name = 'org_id' AND i.table_schema = 'public' "
                    "AND c.relkind = 'r'"
                )
            ).all()
        )
    # Every table with an org_id (including any added later) has RLS enabled and forced.
    assert secured == dict.fromkeys(TENANT_TABLES, True)

    for own, other in filled.pairs():
        for table in TENANT_TABLES:
            with tenant_session(engine, own.id) as session:
                assert column(session, f"SELECT count(*) FROM {table}")[0] > 0, table
                found = column(
                    session, f"SELECT count(*) FROM {table} WHERE org_id = :o", o=other.id
                )
                changed = session.execute(
                    text(f"UPDATE {table} SET org_id = org_id WHERE org_id = :o"), {"o": other.id}
                )
                deleted = session.execute(
                    text(f"DELETE FROM {table} WHERE org_id = :o"), {"o": other.id}
                )
                for refused in (found == [0], changed.rowcount == 0, deleted.rowcount == 0):  # type: ignore[attr-defined]
                    assert ledger.attempt("isolation", refused=refused), table
            # Moving one's own rows into the other organization breaks the policy's check.
            moving = text(f"UPDATE {table} SET org_id = :o WHERE org_id = :me")
            with (
                pytest.raises(ProgrammingError, match="row-level security"),
                tenant_session(engine, own.id) as session,
            ):
                session.execute(moving, {"o": other.id, "me": own.id})
            ledger.attempt("isolation", refused=True)
    for table in TENANT_TABLES:
        with system_session(engine) as session:  # no scope at all
            unscoped = column(session, f"SELECT count(*) FROM {table}")
        with tenant_session(engine, uuid.uuid4()) as session:  # an organization that is not
            nobody = column(session, f"SELECT count(*) FROM {table}")
        assert ledger.attempt("isolation", refused=unscoped == [0] and nobody == [0]), table


def test_row_level_security_keeps_each_organization_and_its_people_from_the_other(
    engine: Engine, served: Served, ledger: Ledger
) -> None:
    """`organizations` and `users`: a tenant scope reads its own organization and its own
    members, and reaches nothing of the other's, whatever the statement asks for."""
    for own, other in served.pairs():
        people = f"%@{other.slug}.test"  # the other organization's members' addresses
        with tenant_session(engine, own.id) as session:
            assert column(session, "SELECT id FROM organizations") == [own.id]
            members = set(column(session, "SELECT user_id FROM org_members"))
            assert set(column(session, "SELECT id FROM users")) == members != set()
            found = [
                column(session, "SELECT count(*) FROM organizations WHERE id = :o", o=other.id),
                column(session, "SELECT count(*) FROM organizations WHERE slug = :s", s=other.slug),
                column(session, "SELECT count(*) FROM users WHERE email LIKE :p", p=people),
            ]
            changed = [
                session.execute(
                    text("UPDATE organizations SET plan = 'enterprise' WHERE id = :o"),
                    {"o": other.id},
                ),
                session.execute(text("DELETE FROM organizations WHERE id = :o"), {"o": other.id}),
                session.execute(
                    text("UPDATE users SET password_hash = NULL WHERE email LIKE :p"), {"p": people}
                ),
                session.execute(text("DELETE FROM users WHERE email LIKE :p"), {"p": people}),
            ]
            for refused in [f == [0] for f in found] + [c.rowcount == 0 for c in changed]:  # type: ignore[attr-defined]
                assert ledger.attempt("isolation", refused=refused)
        for create in (
            lambda session: create_organization(session, name="Smuggled"),
            lambda session: create_user(session, email="smuggled@example.com"),
        ):
            with (
                pytest.raises(ProgrammingError, match="row-level security"),
                tenant_session(engine, own.id) as session,
            ):
                create(session)
            ledger.attempt("isolation", refused=True)
    with engine.connect() as conn:  # no scope at all: neither table shows a row
        for table in ("organizations", "users"):
            unscoped = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert ledger.attempt("isolation", refused=unscoped == 0), table


# What only a table's owner may run: each would let the application step around its policies.
OWNER_ONLY = (
    "ALTER TABLE request_logs NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE request_logs DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE organizations NO FORCE ROW LEVEL SECURITY",
    "DROP POLICY system_access ON users",
    "DROP POLICY tenant_isolation ON api_keys",
    "CREATE POLICY everything ON api_keys USING (true)",
    "ALTER TABLE api_keys ADD COLUMN leak text",
    "DROP TABLE usage_daily",
    "TRUNCATE request_logs",
    "CREATE TABLE stash (id int)",
)


def test_with_a_separate_owner_role_the_application_role_cannot_step_around_its_policies(
    postgres_server: PostgresServer, ledger: Ledger
) -> None:
    """Production's set-up: MIGRATION_DATABASE_URL owns the schema, DATABASE_URL reads and
    writes rows. The application's role can then neither switch row-level security off nor
    change any table, and still serves its own tenant's rows."""
    postgres_server.ensure_app_role(OWNER_ROLE)
    owner_url = postgres_server.create_database("owned", owner=OWNER_ROLE)
    app_url = owner_url.replace(f"//{OWNER_ROLE}@", f"//{APP_ROLE}@")
    upgrade(owner_url, grant_to=APP_ROLE)
    engine = make_engine(app_url)
    try:
        for statement in OWNER_ONLY:
            with (
                pytest.raises(ProgrammingError, match=r"must be owner|permission denied"),
                engine.begin() as conn,
            ):
                conn.execute(text(statement))
            assert ledger.attempt("isolation", refused=True)
        with system_session(engine) as session:
            acme, globex = (create_organization(session, name=n) for n in ("Acme", "Globex"))
        with tenant_session(engine, acme.id) as session:
            session.add(RequestLog(request_id="req_owned", org_id=acme.id, model_requested="auto"))
        with tenant_session(engine, globex.id) as session:
            seen = column(session, "SELECT count(*) FROM request_logs")
        assert ledger.attempt("isolation", refused=seen == [0])
        with tenant_session(engine, acme.id) as session:
            assert column(session, "SELECT request_id FROM request_logs") == ["req_owned"]
    finally:
        engine.dispose()


def _tokens(engine: Engine, org: Organization) -> int:
    with tenant_session(engine, org.id) as session:
        return int(column(session, "SELECT coalesce(sum(total_tokens), 0) FROM request_logs")[0])
