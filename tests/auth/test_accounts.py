"""Accounts on SQLite and PostgreSQL: sign-up all at once, sign-in, GitHub users."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from gateway.auth.accounts import (
    GitHubAccountConflict,
    SignUpError,
    authenticate,
    create_organization_for,
    github_user,
    sign_up,
)
from gateway.auth.memberships import member_role, user_organizations
from gateway.db.enums import MemberRole
from gateway.db.models import User
from gateway.db.sessions import system_session
from gateway.tenancy.keys import resolve_api_key

PASSWORD = "correct horse battery staple"


def test_sign_up_creates_owner_organization_and_a_working_first_key(engine: Engine) -> None:
    created = sign_up(engine, email=" Ada@Example.COM ", password=PASSWORD, org_name="Analytical")

    with system_session(engine) as session:
        user = session.exec(select(User)).one()
    assert user.email == "ada@example.com"
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert member_role(engine, org_id=created.org_id, user_id=user.id) is MemberRole.OWNER
    resolved = resolve_api_key(engine, full_key=created.api_key)
    assert resolved is not None and resolved.org.id == created.org_id
    assert created.api_key.startswith("gw_analytical_prod_")


@pytest.mark.parametrize(
    ("email", "password", "org_name", "field"),
    [
        ("not-an-email", PASSWORD, "Acme", "email"),
        ("ada@example.com", "short", "Acme", "password"),
        ("ada@example.com", PASSWORD, "   ", "org_name"),
        ("ada@example.com", PASSWORD, "x" * 101, "org_name"),
    ],
)
def test_invalid_sign_ups_name_the_field_and_create_nothing(
    engine: Engine, email: str, password: str, org_name: str, field: str
) -> None:
    with pytest.raises(SignUpError) as refused:
        sign_up(engine, email=email, password=password, org_name=org_name)

    assert refused.value.field == field
    with system_session(engine) as session:
        assert session.exec(select(User)).all() == []


def test_an_email_signs_up_once(engine: Engine) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="One")

    with pytest.raises(SignUpError) as refused:
        sign_up(engine, email="ADA@example.com", password=PASSWORD, org_name="Two")

    assert refused.value.field == "email"


def test_authenticate_accepts_only_the_right_password(engine: Engine) -> None:
    created = sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")

    assert authenticate(engine, email="ADA@example.com", password=PASSWORD) == created.user_id
    assert authenticate(engine, email="ada@example.com", password=PASSWORD + "!") is None
    assert authenticate(engine, email="nobody@example.com", password=PASSWORD) is None
    assert authenticate(engine, email="not an email", password=PASSWORD) is None


def test_github_users_have_no_password_and_are_found_again_by_their_github_id(
    engine: Engine,
) -> None:
    user_id, created = github_user(
        engine, github_id=42, email="Octo@Example.com", display_name="Octo"
    )
    again, created_again = github_user(
        engine, github_id=42, email="changed@example.com", display_name="Octo"
    )

    assert created and not created_again and again == user_id
    assert authenticate(engine, email="octo@example.com", password="") is None
    assert user_organizations(engine, user_id) == []


def test_github_does_not_take_over_a_password_account_with_the_same_email(engine: Engine) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")

    with pytest.raises(GitHubAccountConflict):
        github_user(engine, github_id=7, email="ada@example.com", display_name="Ada")


def test_a_user_can_own_several_organizations(engine: Engine) -> None:
    first = sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="First")

    second = create_organization_for(engine, user_id=first.user_id, org_name="Second")

    orgs = user_organizations(engine, first.user_id)
    assert [o.name for o in orgs] == ["First", "Second"]
    assert {o.role for o in orgs} == {MemberRole.OWNER}
    assert resolve_api_key(engine, full_key=second.api_key) is not None
