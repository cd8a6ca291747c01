"""Signing in and out: generic failures, guarded pages, the session cookie, GitHub."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.auth.fake_github import FakeGitHub, FakeUser
from tests.e2e.conftest import DESKTOP, PHONE, OpenPage
from tests.e2e.journeys import (
    SESSION_COOKIE,
    create_account,
    log_in,
    open_confirmation,
    screenshot,
    submit_sign_up,
    unique_email,
)
from tests.e2e.server import Stack
from tests.fixtures.mail import Mailbox, link_in

pytestmark = pytest.mark.e2e

GENERIC_FAILURE = "Incorrect email or password."


def test_a_wrong_password_and_an_unknown_email_get_the_same_generic_message(
    stack: Stack, open_page: OpenPage
) -> None:
    account = create_account(stack.database_url, "wrongpass", "Wrong Password Co")
    watched = open_page(*DESKTOP)
    page = watched.page

    log_in(page, stack.base_url, email=account.email, password="not the password at all")
    expect(page.locator("#login-error")).to_have_text(GENERIC_FAILURE)
    assert "/login" in page.url

    log_in(page, stack.base_url, email=unique_email("nobody"), password="whatever it is")
    expect(page.locator("#login-error")).to_have_text(GENERIC_FAILURE)
    assert all(c["name"] != SESSION_COOKIE for c in page.context.cookies())
    assert watched.errors == []


def test_signing_up_with_a_registered_email_looks_like_any_sign_up(
    stack: Stack, open_page: OpenPage, mailbox: Mailbox, screenshots_dir: Path
) -> None:
    account = create_account(stack.database_url, "registered", "Registered Co")
    newcomer = unique_email("unregistered")
    watched = open_page(*DESKTOP)
    page = watched.page
    answers = []
    for email in (account.email, newcomer):
        page.goto(f"{stack.base_url}/signup")
        submit_sign_up(page, email=email, org_name="Someone Else")
        answers.append(page.locator("body").inner_text().replace(email, "<email>"))
    screenshot(page, screenshots_dir, "signup-check-inbox-desktop")

    assert answers[0] == answers[1]
    reminder = mailbox.wait_for(account.email)
    assert link_in(reminder) == f"{stack.base_url}/login"

    # The newcomer's link works once; opened again it says why it cannot be used.
    open_confirmation(page, mailbox, newcomer)
    page.wait_for_url("**/onboarding**")
    expect(page.locator("#revealed-key")).to_contain_text("gw_someone-else")
    page.goto(link_in(mailbox.wait_for(newcomer)))
    expect(page.get_by_role("alert")).to_contain_text("expired or was already used")
    assert watched.errors == []


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/keys"])
def test_a_signed_out_visit_to_the_dashboard_lands_on_login(
    stack: Stack, open_page: OpenPage, path: str
) -> None:
    watched = open_page(*PHONE)
    page = watched.page

    page.goto(f"{stack.base_url}{path}")

    page.wait_for_url(re.compile(rf"/login/?\?next={path}$"))
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    assert watched.errors == []


def test_login_sets_an_httponly_session_cookie_and_logout_ends_the_session(
    stack: Stack, open_page: OpenPage
) -> None:
    account = create_account(stack.database_url, "cookie", "Cookie Jar Inc")
    watched = open_page(*DESKTOP)
    page = watched.page

    log_in(page, stack.base_url, email=account.email)
    page.wait_for_url("**/dashboard**")
    expect(page.locator("#org-switcher")).to_contain_text("Cookie Jar Inc")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find(SESSION_COOKIE) == -1

    page.locator("#user-menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/?\?signed_out=1$"))
    expect(page.get_by_text("You have been signed out.")).to_be_visible()

    # The old cookie value no longer opens anything, even if replayed.
    page.context.add_cookies([{**cookie}])
    page.goto(f"{stack.base_url}/dashboard")
    page.wait_for_url(re.compile(r"/login/?\?next=/dashboard$"))
    assert watched.errors == []


def test_sign_in_with_github_names_an_organization_then_shows_the_first_key(
    stack: Stack, open_page: OpenPage, fake_github: tuple[FakeGitHub, str]
) -> None:
    fake, _ = fake_github
    login = unique_email("octo").split("@")[0]
    fake.approve_as = FakeUser(90_000 + len(login), login, "Octo Cat", f"{login}@example.com")
    watched = open_page(*DESKTOP)
    page = watched.page

    page.goto(f"{stack.base_url}/login")
    page.get_by_role("link", name="Continue with GitHub").click()

    page.wait_for_url("**/onboarding**")
    page.get_by_label("Organization name").fill("Octo Works")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("#revealed-key")).to_contain_text("gw_octo-works")
    page.get_by_role("button", name="Go to the dashboard").click()
    page.wait_for_url("**/dashboard**")
    expect(page.locator("#org-switcher")).to_contain_text("Octo Works")

    # Signing in again with the same GitHub account finds the same user and organization.
    page.locator("#user-menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url("**/login**")
    # The page has run its load event (which could still redirect) once it says so.
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    page.get_by_role("link", name="Continue with GitHub").click()
    page.wait_for_url("**/dashboard**")
    expect(page.locator("#org-switcher")).to_contain_text("Octo Works")
    assert watched.errors == []
