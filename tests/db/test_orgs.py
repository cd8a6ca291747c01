"""Organization, user and membership services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from gateway.billing.plans import PlanName
from gateway.db.enums import MemberRole
from gateway.db.members import add_member, get_membership, list_members
from gateway.db.orgs import create_organization, get_org, get_org_by_slug, next_budget_reset
from gateway.db.sessions import system_session, tenant_session
from gateway.db.slugs import is_valid_slug
from gateway.db.users import create_user, get_user_by_email, normalize_email


def test_create_derives_a_slug_and_finds_it_again(engine: Engine) -> None:
    with system_session(engine) as session:
        org = create_organization(session, name="Acme, Inc.", plan="growth")
    assert (org.slug, org.plan, org.name) == ("acme-inc", PlanName.GROWTH, "Acme, Inc.")
    with system_session(engine) as session:
        assert get_org_by_slug(session, slug="acme-inc") == org
        assert get_org(session, org_id=org.id) == org
        assert get_org_by_slug(session, slug="nobody") is None
        assert get_org(session, org_id=uuid.uuid4()) is None


def test_slugs_stay_unique(engine: Engine) -> None:
    with system_session(engine) as session:
        slugs = [create_organization(session, name="Acme").slug for _ in range(3)]
    assert slugs == ["acme", "acme-2", "acme-3"]


def test_slugs_stay_unique_when_every_numbered_candidate_is_taken(engine: Engine) -> None:
    with system_session(engine) as session:
        slugs = {create_organization(session, name="Busy").slug for _ in range(22)}
    assert len(slugs) == 22
    assert all(is_valid_slug(slug) for slug in slugs)


def test_explicit_slugs(engine: Engine) -> None:
    with system_session(engine) as session:
        org = create_organization(session, name="Whatever", slug="my-team")
        assert org.slug == "my-team"
        with pytest.raises(ValueError, match="already taken"):
            create_organization(session, name="Other", slug="my-team")
        with pytest.raises(ValueError, match="invalid slug"):
            create_organization(session, name="Other", slug="my_team")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"name": "   "}, "needs a name"),
        ({"name": "x" * 101}, "at most 100"),
        ({"name": "???"}, "no letter or digit"),
        ({"name": "Acme", "plan": "platinum"}, "unknown plan 'platinum'"),
        ({"name": "Acme", "budget_reset_day": 29}, "between 1 and 28"),
        ({"name": "Acme", "budget_reset_day": 0}, "between 1 and 28"),
    ],
)
def test_bad_input_is_refused_clearly(engine: Engine, options: dict, message: str) -> None:
    with system_session(engine) as session, pytest.raises(ValueError, match=message):
        create_organization(session, **options)


def test_budget_reset_is_computed_from_the_reset_day(engine: Engine) -> None:
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    with system_session(engine) as session:
        org = create_organization(session, name="Budget", budget_reset_day=15, now=now)
    assert org.budget_reset_at == datetime(2026, 12, 15, tzinfo=UTC)
    assert org.created_at == now


@pytest.mark.parametrize(
    ("now", "day", "expected"),
    [
        (datetime(2026, 11, 20, 9, tzinfo=UTC), 1, datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 11, 20, 9, tzinfo=UTC), 28, datetime(2026, 11, 28, tzinfo=UTC)),
        (datetime(2026, 12, 31, 23, tzinfo=UTC), 1, datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2026, 11, 1, 0, tzinfo=UTC), 1, datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 2, 27, 12, tzinfo=UTC), 28, datetime(2026, 2, 28, tzinfo=UTC)),
    ],
)
def test_next_budget_reset(now: datetime, day: int, expected: datetime) -> None:
    assert next_budget_reset(now, day) == expected


def test_users_are_stored_lowercased_and_unique(engine: Engine) -> None:
    with system_session(engine) as session:
        user = create_user(session, email="  Ada@Example.COM ", password_hash="$argon2id$x")
        assert user.email == "ada@example.com"
        assert get_user_by_email(session, email="ADA@example.com") == user
        with pytest.raises(ValueError, match="already exists"):
            create_user(session, email="ada@EXAMPLE.com")


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.com", "ada@localhost", "a b@x.io"])
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(ValueError, match="not an email"):
        normalize_email(email)


def test_members(engine: Engine, make_org) -> None:
    org = make_org("Team")
    with system_session(engine) as session:
        ada = create_user(session, email="ada@example.com")
        bob = create_user(session, email="bob@example.com")
    with tenant_session(engine, org.id) as session:
        add_member(session, org_id=org.id, user_id=ada.id, role="owner")
        add_member(session, org_id=org.id, user_id=bob.id)
        with pytest.raises(ValueError, match="already a member"):
            add_member(session, org_id=org.id, user_id=bob.id, role="admin")
        with pytest.raises(ValueError, match="unknown role 'god'"):
            add_member(session, org_id=org.id, user_id=bob.id, role="god")
    with tenant_session(engine, org.id) as session:
        roles = {m.user_id: m.role for m in list_members(session, org_id=org.id)}
        assert roles == {ada.id: MemberRole.OWNER, bob.id: MemberRole.MEMBER}
        membership = get_membership(session, org_id=org.id, user_id=bob.id)
        assert membership is not None and membership.role is MemberRole.MEMBER
