"""The auth façade: generic failures, throttling, sessions and organizations."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine

from gateway.auth.accounts import SignUpError, sign_up
from gateway.auth.service import INVALID_CREDENTIALS, AuthService
from gateway.db.enums import MemberRole
from gateway.db.members import add_member
from gateway.db.sessions import tenant_session

PASSWORD = "correct horse battery staple"
ADDRESS = "198.51.100.7"


async def test_wrong_password_and_unknown_email_fail_with_the_same_message(
    auth: AuthService, engine: Engine
) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")

    wrong = await auth.log_in("ada@example.com", "not the password", ADDRESS)
    unknown = await auth.log_in("nobody@example.com", PASSWORD, ADDRESS)

    assert wrong.token is None and unknown.token is None
    assert wrong.error == unknown.error == INVALID_CREDENTIALS


async def test_a_successful_login_opens_a_session_on_the_users_organization(
    auth: AuthService, engine: Engine
) -> None:
    created = sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")

    result = await auth.log_in("ada@example.com", PASSWORD, ADDRESS)

    viewer = await auth.viewer(result.token)
    assert viewer is not None and viewer.email == "ada@example.com"
    assert viewer.current is not None and viewer.current.org_id == created.org_id
    assert viewer.current.role is MemberRole.OWNER


async def test_repeated_failures_lock_the_account_even_with_the_right_password(
    auth: AuthService, engine: Engine
) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")
    for _ in range(5):
        await auth.log_in("ada@example.com", "guess", ADDRESS)

    locked = await auth.log_in("ada@example.com", PASSWORD, "203.0.113.1")
    unknown_locked = [await auth.log_in("ghost@example.com", "guess", ADDRESS) for _ in range(6)]

    assert locked.token is None and locked.error and "Too many" in locked.error
    assert unknown_locked[-1].error == locked.error  # unknown emails are throttled alike


async def test_sign_up_returns_a_session_and_the_first_key(auth: AuthService) -> None:
    created, token = await auth.sign_up("ada@example.com", PASSWORD, "Acme", ADDRESS)

    viewer = await auth.viewer(token)
    assert viewer is not None and viewer.current is not None
    assert viewer.current.org_id == created.org_id
    assert created.api_key.startswith("gw_acme_")


async def test_sign_up_errors_name_their_field(auth: AuthService) -> None:
    with pytest.raises(SignUpError) as refused:
        await auth.sign_up("ada@example.com", "short", "Acme", ADDRESS)
    assert refused.value.field == "password"


async def test_members_switch_only_to_their_own_organizations(
    auth: AuthService, engine: Engine
) -> None:
    ada = sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Ada Co")
    grace = sign_up(engine, email="grace@example.com", password=PASSWORD, org_name="Grace Co")
    other = sign_up(engine, email="alan@example.com", password=PASSWORD, org_name="Alan Co")
    with tenant_session(engine, grace.org_id) as session:
        add_member(session, org_id=grace.org_id, user_id=ada.user_id, role=MemberRole.VIEWER)
    token = (await auth.log_in("ada@example.com", PASSWORD, ADDRESS)).token
    assert token is not None

    switched = await auth.switch_organization(token, grace.org_id)
    refused = await auth.switch_organization(token, other.org_id)

    assert switched is not None and switched.current is not None
    assert switched.current.org_id == grace.org_id and switched.current.role is MemberRole.VIEWER
    assert refused is not None and refused.current is not None
    assert refused.current.org_id == grace.org_id  # unchanged
    assert [o.name for o in switched.organizations] == ["Ada Co", "Grace Co"]


async def test_access_checks_membership_now(auth: AuthService, engine: Engine) -> None:
    ada = sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Ada Co")
    other = sign_up(engine, email="alan@example.com", password=PASSWORD, org_name="Alan Co")
    token = (await auth.log_in("ada@example.com", PASSWORD, ADDRESS)).token

    access = await auth.access(token, ada.org_id)
    assert access is not None and access.role is MemberRole.OWNER
    assert await auth.access(token, other.org_id) is None
    assert await auth.access(token, uuid.uuid4()) is None
    assert await auth.access("not-a-token", ada.org_id) is None


async def test_log_out_ends_the_session(auth: AuthService, engine: Engine) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")
    token = (await auth.log_in("ada@example.com", PASSWORD, ADDRESS)).token

    await auth.log_out(token)

    assert await auth.viewer(token) is None


async def test_a_second_organization_becomes_current(auth: AuthService, engine: Engine) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="First")
    token = (await auth.log_in("ada@example.com", PASSWORD, ADDRESS)).token
    assert token is not None

    created = await auth.create_organization(token, "Second")

    viewer = await auth.viewer(token)
    assert viewer is not None and viewer.current is not None
    assert viewer.current.org_id == created.org_id
