"""Row-level security on PostgreSQL, exercised as the app's own (non-superuser) role.

Each tenant table gets one row per organization; every scope must see only its own.
`organizations` and `users` are narrowed too: a tenant sees its own organization and its
members, a user themself and their organizations, the system session everything.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session, select

from gateway.db.enums import BudgetKind, KeyEnvironment, MemberRole
from gateway.db.members import add_member, list_memberships
from gateway.db.models import (
    TENANT_TABLES,
    ApiKey,
    BenchmarkRun,
    BudgetAlert,
    Invitation,
    MeterReport,
    Organization,
    OrgMember,
    ProviderCredential,
    RequestLog,
    UsageDaily,
    User,
)
from gateway.db.orgs import create_organization, get_org, get_org_by_slug
from gateway.db.sessions import scope_session, system_session, tenant_session, user_session
from gateway.db.users import create_user, get_user_by_email

RLS_REFUSED = "row-level security"
SHARED_TABLES = ("organizations", "users")


@pytest.fixture
def orgs(postgres_engine: Engine) -> tuple[Organization, Organization]:
    """Two organizations, each with an owner and one row in every tenant table."""
    with system_session(postgres_engine) as session:
        a = create_organization(session, name="Org A")
        b = create_organization(session, name="Org B")
        owners = [create_user(session, email=f"owner@{org.slug}.example") for org in (a, b)]
    for org, owner in zip((a, b), owners, strict=True):
        with tenant_session(postgres_engine, org.id) as session:
            _seed_tenant_rows(session, org, owner)
    return a, b


def _seed_tenant_rows(session: Session, org: Organization, user: User) -> None:
    hour = datetime(2026, 11, 5, 14, tzinfo=UTC)
    key = ApiKey(
        org_id=org.id,
        name="k",
        environment=KeyEnvironment.PROD,
        prefix="p",
        key_hash=uuid.uuid4().hex * 2,
    )
    session.add(key)
    session.flush()
    session.add_all(
        [
            OrgMember(org_id=org.id, user_id=user.id, role=MemberRole.OWNER),
            ProviderCredential(
                org_id=org.id, provider="openai", encrypted_secret=b"x", last_four="abcd"
            ),
            RequestLog(
                request_id=f"req_{uuid.uuid4().hex}",
                org_id=org.id,
                api_key_id=key.id,
                model_requested="auto",
            ),
            UsageDaily(org_id=org.id, day=date(2026, 11, 5)),
            BudgetAlert(org_id=org.id, period="2026-11", kind=BudgetKind.USD, threshold=50),
            MeterReport(org_id=org.id, meter="tokens", hour=hour, identifier=f"{org.id}:1"),
            Invitation(
                org_id=org.id,
                email=f"new@{org.slug}.example",
                token_hash=uuid.uuid4().hex * 2,
                expires_at=hour,
            ),
            BenchmarkRun(org_id=org.id, created_by=user.id),
        ]
    )


def _org_ids(session: Session, table: str) -> list[uuid.UUID]:
    rows = session.execute(text(f"SELECT org_id FROM {table}")).scalars().all()
    return [uuid.UUID(str(value)) for value in rows]


def test_the_app_role_can_not_bypass_row_level_security(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as conn:
        role = conn.execute(
            text(
                "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        owners = set(
            conn.execute(
                text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    assert (role.rolsuper, role.rolbypassrls) == (False, False)
    # The role owns the tables: only FORCE ROW LEVEL SECURITY binds it, so this
    # suite also proves FORCE is in place.
    assert owners == {role.rolname}


def test_seeding_put_a_row_of_each_org_in_every_tenant_table(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    for org in orgs:
        with tenant_session(postgres_engine, org.id) as session:
            for table in TENANT_TABLES:
                assert _org_ids(session, table) == [org.id], table


def test_a_scope_sees_only_its_own_rows(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with tenant_session(postgres_engine, a.id) as session:
        rows = session.execute(text("SELECT * FROM request_logs")).mappings().all()
        assert [row["org_id"] for row in rows] == [a.id]
        assert session.exec(select(ApiKey).where(ApiKey.org_id == b.id)).all() == []
        assert session.get(ApiKey, _key_id(postgres_engine, b)) is None


def test_inserting_another_orgs_row_is_refused(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with tenant_session(postgres_engine, a.id) as session:
            session.add(RequestLog(request_id="req_smuggled", org_id=b.id, model_requested="x"))
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with tenant_session(postgres_engine, a.id) as session:
            session.execute(
                text(
                    "INSERT INTO usage_daily (org_id, day, requests, prompt_tokens, "
                    "completion_tokens, total_tokens, cost, baseline_cost, cache_hits, "
                    "cache_misses, errors, by_provider, by_model, updated_at) VALUES "
                    "(:org, '2026-01-01', 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}', '{}', now())"
                ),
                {"org": b.id},
            )


def test_moving_a_row_to_another_org_is_refused(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with tenant_session(postgres_engine, a.id) as session:
            session.execute(text("UPDATE api_keys SET org_id = :b"), {"b": b.id})


def test_updates_and_deletes_do_not_reach_other_orgs(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with tenant_session(postgres_engine, a.id) as session:
        key_b = _key_id(postgres_engine, b)
        updated = session.execute(
            text("UPDATE api_keys SET name = 'pwned' WHERE id = :id"), {"id": key_b}
        )
        deleted = session.execute(text("DELETE FROM request_logs WHERE org_id = :b"), {"b": b.id})
        assert (updated.rowcount, deleted.rowcount) == (0, 0)  # type: ignore[attr-defined]
    with tenant_session(postgres_engine, b.id) as session:
        assert session.exec(select(ApiKey.name)).all() == ["k"]
        assert len(_org_ids(session, "request_logs")) == 1


def test_the_system_session_sees_every_organization_and_user_and_no_tenant_row(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    with system_session(postgres_engine) as session:
        for table in TENANT_TABLES:
            assert _org_ids(session, table) == [], table
        assert len(session.exec(select(Organization)).all()) == 2
        assert len(session.exec(select(User)).all()) == 2


def test_without_any_scope_nothing_is_visible(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    with postgres_engine.connect() as conn:
        for table in (*TENANT_TABLES, *SHARED_TABLES):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table


def test_a_tenant_sees_its_own_organization_only(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with tenant_session(postgres_engine, a.id) as session:
        assert _ids(session, "SELECT id FROM organizations") == [a.id]
        assert session.get(Organization, b.id) is None
        assert get_org_by_slug(session, slug=b.slug) is None
        assert get_org(session, org_id=a.id) is not None


def test_a_tenant_cannot_change_delete_or_create_another_organization(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with tenant_session(postgres_engine, a.id) as session:
        renamed = session.execute(
            text("UPDATE organizations SET plan = 'enterprise' WHERE id = :b"), {"b": b.id}
        )
        deleted = session.execute(text("DELETE FROM organizations WHERE id = :b"), {"b": b.id})
        everything = session.execute(text("UPDATE organizations SET name = name"))
        assert (renamed.rowcount, deleted.rowcount) == (0, 0)  # type: ignore[attr-defined]
        assert everything.rowcount == 1  # type: ignore[attr-defined]  # its own row only
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with tenant_session(postgres_engine, a.id) as session:
            create_organization(session, name="Smuggled")
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with tenant_session(postgres_engine, a.id) as session:  # its row, out of its scope
            session.execute(
                text("UPDATE organizations SET id = :new WHERE id = :a"),
                {"new": uuid.uuid4(), "a": a.id},
            )
    with system_session(postgres_engine) as session:
        assert session.get(Organization, b.id).plan == "free"  # type: ignore[union-attr]


def test_a_tenant_reads_its_members_and_no_other_user(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with tenant_session(postgres_engine, a.id) as session:
        assert session.exec(select(User.email)).all() == [f"owner@{a.slug}.example"]
        assert get_user_by_email(session, email=f"owner@{b.slug}.example") is None
        changed = session.execute(text("UPDATE users SET display_name = 'pwned'"))
        assert changed.rowcount == 0  # type: ignore[attr-defined]  # reading is all it may do
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with tenant_session(postgres_engine, a.id) as session:
            create_user(session, email="smuggled@example.com")


def test_a_user_session_sees_that_user_and_their_organizations(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, b = orgs
    with system_session(postgres_engine) as session:
        ada = get_user_by_email(session, email=f"owner@{a.slug}.example")
    assert ada is not None
    with user_session(postgres_engine, ada.id) as session:
        assert _ids(session, "SELECT id FROM organizations") == [a.id]
        assert _ids(session, "SELECT id FROM users") == [ada.id]
        assert session.get(Organization, b.id) is None
        changed = session.execute(text("UPDATE organizations SET name = 'pwned'"))
        assert changed.rowcount == 0  # type: ignore[attr-defined]


def test_an_unknown_scope_sees_no_organization_or_user(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    with tenant_session(postgres_engine, uuid.uuid4()) as session:
        assert _ids(session, "SELECT id FROM organizations") == []
        assert _ids(session, "SELECT id FROM users") == []
    with user_session(postgres_engine, uuid.uuid4()) as session:
        assert _ids(session, "SELECT id FROM organizations") == []
        assert _ids(session, "SELECT id FROM users") == []


def _ids(session: Session, query: str) -> list[uuid.UUID]:
    return [uuid.UUID(str(value)) for value in session.execute(text(query)).scalars()]


def test_the_scope_ends_with_its_transaction(
    postgres_engine: Engine, orgs: tuple[Organization, Organization]
) -> None:
    a, _ = orgs
    with tenant_session(postgres_engine, a.id) as session:
        assert len(_org_ids(session, "request_logs")) == 1
    for _ in range(postgres_engine.pool.size() + 1):  # every pooled connection is clean
        with postgres_engine.connect() as conn:
            setting = conn.execute(text("SELECT current_setting('routerai.org_id', true)"))
            assert setting.scalar_one() in ("", None)
            assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar_one() == 0


def test_a_user_session_sees_only_that_users_memberships(postgres_engine: Engine) -> None:
    with system_session(postgres_engine) as session:
        a = create_organization(session, name="Org A")
        b = create_organization(session, name="Org B")
        ada = create_user(session, email="ada@example.com")
        bob = create_user(session, email="bob@example.com")
    for org in (a, b):
        with tenant_session(postgres_engine, org.id) as session:
            add_member(session, org_id=org.id, user_id=ada.id, role="owner")
            add_member(session, org_id=org.id, user_id=bob.id)
    with user_session(postgres_engine, ada.id) as session:
        memberships = list_memberships(session, user_id=ada.id)
        assert {m.org_id for m in memberships} == {a.id, b.id}
        assert {m.user_id for m in session.exec(select(OrgMember)).all()} == {ada.id}
        assert _org_ids(session, "api_keys") == []
    with pytest.raises(ProgrammingError, match=RLS_REFUSED):  # noqa: SIM117
        with user_session(postgres_engine, ada.id) as session:
            session.add(OrgMember(org_id=a.id, user_id=ada.id, role=MemberRole.ADMIN))


def _key_id(engine: Engine, org: Organization) -> uuid.UUID:
    with tenant_session(engine, org.id) as session:
        key_id = session.exec(select(ApiKey.id)).one()
    return key_id


def test_one_transaction_can_switch_scopes(postgres_engine: Engine) -> None:
    """What batch ingestion does: several organizations' rows, each in its own scope."""
    with system_session(postgres_engine) as session:
        a = create_organization(session, name="Org A")
        b = create_organization(session, name="Org B")
    with system_session(postgres_engine) as session:
        for org in (a, b, a):
            scope_session(session, org_id=org.id)
            session.add(
                RequestLog(
                    request_id=f"req_{uuid.uuid4().hex}", org_id=org.id, model_requested="auto"
                )
            )
            session.flush()
            assert set(_org_ids(session, "request_logs")) == {org.id}
            # Still a system session: every organization stays in sight.
            assert set(_ids(session, "SELECT id FROM organizations")) == {a.id, b.id}
    for org, count in ((a, 2), (b, 1)):
        with tenant_session(postgres_engine, org.id) as session:
            assert _org_ids(session, "request_logs") == [org.id] * count
