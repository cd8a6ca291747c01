"""The auth façade: generic failures, confirmed sign-ups, throttling, sessions, organizations."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth.accounts import SignUpError, email_registered, sign_up
from gateway.auth.service import CONFIRM_PATH, INVALID_CREDENTIALS, AuthService
from gateway.db.enums import MemberRole
from gateway.db.members import add_member
from gateway.db.sessions import tenant_session
from tests.auth.conftest import PUBLIC_URL, SENDER
from tests.fixtures.mail import Mailbox, link_in

pytestmark = pytest.mark.embedded_redis_too

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


async def test_sign_up_mails_a_link_that_creates_the_account_once(
    auth: AuthService, engine: Engine, mailbox: Mailbox
) -> None:
    told = await auth.request_sign_up(" Ada@Example.com ", PASSWORD, "Acme", ADDRESS, "/next")
    await auth.drain_mail()

    assert told == "ada@example.com"
    assert not email_registered(engine, "ada@example.com")  # nothing before the link
    mail = mailbox.wait_for("ada@example.com")
    assert mail["From"] == SENDER and "Confirm your email" in mail["Subject"]
    link = link_in(mail)
    assert link.startswith(f"{PUBLIC_URL}{CONFIRM_PATH}?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]

    created, session, next_path = await auth.confirm_sign_up(token)

    assert next_path == "/next" and created.api_key.startswith("gw_acme_")
    viewer = await auth.viewer(session)
    assert viewer is not None and viewer.email == "ada@example.com"
    assert viewer.current is not None and viewer.current.org_id == created.org_id
    assert (await auth.log_in("ada@example.com", PASSWORD, ADDRESS)).token is not None
    with pytest.raises(SignUpError) as spent:
        await auth.confirm_sign_up(token)
    assert spent.value.field == "link"


async def test_signing_up_with_a_registered_address_looks_the_same_and_mails_its_owner(
    auth: AuthService, engine: Engine, mailbox: Mailbox, async_redis: aioredis.Redis
) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")

    told_known = await auth.request_sign_up(
        "ada@example.com", "another long password", "Intruder", ADDRESS, "/onboarding"
    )
    told_new = await auth.request_sign_up(
        "alan@example.com", PASSWORD, "Alan Co", ADDRESS, "/onboarding"
    )
    await auth.drain_mail()

    assert (told_known, told_new) == ("ada@example.com", "alan@example.com")
    reminder = mailbox.wait_for("ada@example.com")
    assert reminder["Subject"] == "You already have a RouterAI account"
    assert link_in(reminder) == f"{PUBLIC_URL}/login"
    assert len(mailbox.to("alan@example.com")) == 1
    pending = [key async for key in async_redis.scan_iter("gw:web:signup:*")]
    assert len(pending) == 1  # the new address's link; the registered one got none
    assert (await auth.log_in("ada@example.com", PASSWORD, ADDRESS)).token is not None


async def test_a_confirmation_link_lives_a_day_and_forged_ones_create_nothing(
    auth: AuthService, engine: Engine, mailbox: Mailbox, async_redis: aioredis.Redis
) -> None:
    await auth.request_sign_up("ada@example.com", PASSWORD, "Acme", ADDRESS, "/onboarding")
    await auth.drain_mail()

    (key,) = [key async for key in async_redis.scan_iter("gw:web:signup:*")]
    assert 0 < await async_redis.ttl(key) <= 24 * 3600
    assert PASSWORD.encode() not in await async_redis.get(key)  # only the password's hash
    for forged in ("", "x" * 43, key.decode().rsplit(":", 1)[1]):  # the stored digest is no token
        with pytest.raises(SignUpError):
            await auth.confirm_sign_up(forged)
    assert not email_registered(engine, "ada@example.com")


async def test_sign_up_errors_name_their_field_and_mail_no_one(
    auth: AuthService, mailbox: Mailbox
) -> None:
    for form, field in (
        (("ada@example.com", "short", "Acme"), "password"),
        (("not an address", PASSWORD, "Acme"), "email"),
        (("ada@example.com", PASSWORD, "   "), "org_name"),
    ):
        with pytest.raises(SignUpError) as refused:
            await auth.request_sign_up(*form, ADDRESS, "/onboarding")
        assert refused.value.field == field
    await auth.drain_mail()
    assert mailbox.messages == []


async def test_sign_ups_are_throttled_per_email_address_whether_or_not_it_has_an_account(
    auth: AuthService, engine: Engine
) -> None:
    sign_up(engine, email="ada@example.com", password=PASSWORD, org_name="Acme")
    refusals = []
    for address in ("ada@example.com", "alan@example.com"):
        for attempt in range(6):
            try:
                await auth.request_sign_up(address, PASSWORD, "Co", f"192.0.2.{attempt}", "/")
            except SignUpError as exc:
                refusals.append((address, attempt, exc.message))
    await auth.drain_mail()

    assert [(a, n) for a, n, _ in refusals] == [("ada@example.com", 5), ("alan@example.com", 5)]
    assert refusals[0][2] == refusals[1][2]


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
