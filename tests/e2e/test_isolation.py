"""Organizations see only their own keys and numbers; members switch between theirs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.db.engine import make_engine
from gateway.db.enums import MemberRole
from gateway.db.members import add_member
from gateway.db.sessions import tenant_session
from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import chat, create_account, log_in, sign_in_context
from tests.e2e.server import Stack

pytestmark = pytest.mark.e2e


def add_membership(database_url: str, *, org_id: object, user_id: object, role: MemberRole) -> None:
    engine = make_engine(database_url)
    try:
        with tenant_session(engine, org_id) as session:  # type: ignore[arg-type]
            add_member(session, org_id=org_id, user_id=user_id, role=role)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_user_b_never_sees_organization_a_keys_or_numbers(
    stack: Stack, open_page: OpenPage
) -> None:
    alpha = create_account(stack.database_url, "alpha", "Alpha Widgets")
    beta = create_account(stack.database_url, "beta", "Beta Gadgets")
    for _ in range(3):
        chat(stack.base_url, alpha.api_key)
    watched = open_page(*DESKTOP)
    page = watched.page

    log_in(page, stack.base_url, email=beta.email)
    page.wait_for_url("**/dashboard**")
    expect(page.locator("#org-switcher")).to_contain_text("Beta Gadgets")
    expect(page.locator("#empty-state")).to_be_visible()
    page.goto(f"{stack.base_url}/dashboard/keys")
    expect(page.locator(".key-row")).to_have_count(1)
    expect(page.locator("#keys-table")).to_contain_text("gw_beta-gadgets")
    expect(page.locator("#keys-table")).not_to_contain_text("alpha")
    page.locator("#org-switcher").click()
    expect(page.get_by_role("menuitem", name="Alpha Widgets")).to_have_count(0)
    assert watched.errors == []


def test_a_member_of_two_organizations_switches_and_a_viewer_cannot_change_keys(
    stack: Stack, open_page: OpenPage
) -> None:
    owner = create_account(stack.database_url, "owner", "Gamma Systems")
    member = create_account(stack.database_url, "member", "Delta Labs")
    add_membership(
        stack.database_url, org_id=owner.org_id, user_id=member.user_id, role=MemberRole.VIEWER
    )
    chat(stack.base_url, owner.api_key)
    watched = open_page(*DESKTOP)
    page = watched.page

    log_in(page, stack.base_url, email=member.email)
    page.wait_for_url("**/dashboard**")
    expect(page.locator("#org-switcher")).to_contain_text("Delta Labs")
    expect(page.locator("#empty-state")).to_be_visible()

    page.locator("#org-switcher").click()
    page.get_by_role("menuitem", name="Gamma Systems").click()
    expect(page.locator("#org-switcher")).to_contain_text("Gamma Systems")
    expect(page.locator("#kpi-requests")).to_have_text("1")

    page.get_by_role("link", name="API keys").first.click()
    expect(page.locator("#keys-table")).to_contain_text("gw_gamma-systems")
    expect(page.locator("#viewer-note")).to_be_visible()
    expect(page.get_by_role("button", name="Create key")).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    expect(page.get_by_role("button", name="Rotate")).to_have_count(0)
    assert watched.errors == []


def test_a_user_creates_a_second_organization_from_the_switcher(
    stack: Stack, open_page: OpenPage
) -> None:
    account = create_account(stack.database_url, "founder", "Epsilon One")
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}/dashboard")

    page.locator("#org-switcher").click()
    page.get_by_role("menuitem", name="New organization").click()
    page.get_by_label("Organization name").fill("Epsilon Two")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("#revealed-key")).to_contain_text("gw_epsilon-two_prod_")
    page.get_by_role("button", name="Go to the dashboard").click()

    expect(page.locator("#org-switcher")).to_contain_text("Epsilon Two")
    expect(page.locator("#empty-state")).to_be_visible()
    page.locator("#org-switcher").click()
    expect(page.get_by_role("menuitem", name="Epsilon One")).to_be_visible()
    assert watched.errors == []
