"""Billing and settings in the browser: upgrading through Checkout, inviting a teammate who
joins as a viewer, and deleting an organization."""

from __future__ import annotations

import re
from pathlib import Path

import openai
import pytest
from playwright.sync_api import Page, Route, expect

from tests.billing.fake_stripe import FakeStripe
from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import (
    chat,
    create_account,
    open_confirmation,
    screenshot,
    sign_in_context,
    submit_sign_up,
    unique_email,
)
from tests.e2e.server import Stack
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.e2e
CHECKOUT_PAGE = "<!doctype html><title>Checkout</title><h1>Pay RouterAI</h1>"


def stripe_hosted_pages(page: Page, fake: FakeStripe) -> None:
    """Stripe's hosted Checkout page, reduced to a page the browser can land on."""

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=CHECKOUT_PAGE)

    page.route(f"{fake.url}/pay/**", serve)
    page.route(f"{fake.url}/favicon.ico", lambda route: route.fulfill(status=204))


def test_an_owner_upgrades_through_checkout_and_sees_the_new_plan(
    stack: Stack, fake_stripe: FakeStripe, open_page: OpenPage, screenshots_dir: Path
) -> None:
    account = create_account(stack.database_url, "upgrade", "Upgrade Works")
    watched = open_page(*DESKTOP)
    page = watched.page
    stripe_hosted_pages(page, fake_stripe)
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}/dashboard/billing")
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.locator("#manage-billing")).to_have_count(0)  # no billing account yet

    page.locator("#upgrade-growth").click()
    page.wait_for_url(f"{fake_stripe.url}/pay/**")
    session = fake_stripe.session_for(page.url)
    assert session["metadata"] == {"org_id": str(account.org_id), "plan": "growth"}
    paid = fake_stripe.complete_checkout(session["id"])  # webhooks reach the app
    subscription_id = paid[0]["data"]["object"]["id"]
    page.goto(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))

    expect(page.locator("#billing-plan")).to_have_text("Growth")
    expect(page.locator("#checkout-notice")).to_be_visible()
    expect(page.locator("#manage-billing")).to_be_visible()
    expect(page.locator("#upgrade-growth")).to_have_count(0)
    expect(page.locator("#upgrade-scale")).to_be_visible()
    screenshot(page, screenshots_dir, "billing-upgraded-desktop")

    page.get_by_label("Monthly USD budget").fill("1e308")  # once an exception, stuck busy
    page.locator("#save-budgets").click()
    expect(page.locator("#budget-error")).to_contain_text("an amount in dollars")
    expect(page.locator("#save-budgets")).to_be_enabled()
    page.get_by_label("Monthly USD budget").fill("")
    page.get_by_label("Monthly token budget").fill("5000")
    page.get_by_label("Alert thresholds (%)").fill("90, 40")
    page.get_by_label("Notification webhook").fill("http://127.0.0.1:6379/")
    page.locator("#save-budgets").click()
    expect(page.locator("#budget-error")).to_contain_text("127.0.0.1")  # the SSRF guard
    page.get_by_label("Notification webhook").fill("")
    page.locator("#save-budgets").click()
    expect(page.get_by_text("Budgets saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Monthly token budget")).to_have_value("5000")
    expect(page.get_by_label("Alert thresholds (%)")).to_have_value("40, 90")
    expect(page.locator("#past-due-banner")).to_have_count(0)

    fake_stripe.fail_payment(subscription_id)  # the renewal charge is declined
    page.reload()
    expect(page.locator("#past-due-banner")).to_be_visible()
    expect(page.locator("#billing-plan")).to_have_text("Growth")  # kept during the grace period
    screenshot(page, screenshots_dir, "billing-past-due-desktop")
    assert watched.errors == []


def test_an_invited_teammate_joins_as_a_viewer_and_changes_nothing(
    stack: Stack, open_page: OpenPage, mailbox: Mailbox, screenshots_dir: Path
) -> None:
    owner = create_account(stack.database_url, "team-owner", "Team Works")
    invitee = unique_email("teammate")
    owner_tab = open_page(*DESKTOP)
    page = owner_tab.page
    sign_in_context(page.context, stack.base_url, owner)
    page.goto(f"{stack.base_url}/dashboard/settings")

    page.locator("#invite-member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Email").fill(invitee)
    dialog.get_by_role("combobox").click()
    page.get_by_role("option", name="viewer").click()
    page.locator("#invite-submit").click()
    expect(page.locator("#invite-link")).to_contain_text("/invite?org=")
    page.locator("#copy-invite").click()
    link = str(page.evaluate("navigator.clipboard.readText()"))
    assert link.startswith(f"{stack.base_url}/invite?org={owner.org_id}&token=")
    screenshot(page, screenshots_dir, "settings-invite-link-desktop")
    page.locator("#invite-done").click()
    expect(page.locator(".invitation-row", has_text=invitee)).to_be_visible()

    # The teammate opens the link signed out, signs up, and comes back to accept.
    teammate_tab = open_page(*DESKTOP)
    other = teammate_tab.page
    other.goto(link)
    expect(other.locator("#invited-org")).to_have_text("Team Works")
    other.locator("#invite-signup").click()
    submit_sign_up(other, email=invitee, org_name="Teammate Own")
    open_confirmation(other, mailbox, invitee)
    other.wait_for_url(re.compile(r"/invite/?\?org="))
    other.locator("#accept-invite").click()
    other.wait_for_url(f"{stack.base_url}/dashboard")
    expect(other.locator("#org-switcher")).to_contain_text("Team Works")

    # As a viewer: no routing changes, no billing actions, no member management.
    other.goto(f"{stack.base_url}/dashboard/routing")
    # The routing page's first load in a fresh process warms the router (slow on 2 cores).
    expect(other.locator("#routing-form")).to_be_visible(timeout=60_000)
    expect(other.locator("#viewer-note")).to_be_visible()
    expect(other.locator("#routing-save")).to_have_count(0)
    other.goto(f"{stack.base_url}/dashboard/billing")
    expect(other.locator("#billing-plan")).to_have_text("Free")
    expect(other.locator("#billing-view-only")).to_be_visible()
    expect(other.locator("#upgrades")).to_have_count(0)
    expect(other.locator("#manage-billing")).to_have_count(0)
    expect(other.locator("#save-budgets")).to_have_count(0)
    other.goto(f"{stack.base_url}/dashboard/settings")
    expect(other.locator(".member-row")).to_have_count(2)
    expect(other.locator("#invite-member")).to_have_count(0)
    expect(other.locator("#delete-org")).to_have_count(0)
    expect(other.locator(".member-role")).to_have_count(0)
    expect(other.locator(".member-role-badge")).to_have_count(2)
    screenshot(other, screenshots_dir, "settings-viewer-desktop")

    # The link worked once.
    other.goto(link)
    expect(other.locator("#invite-refused")).to_contain_text("already been used")

    page.reload()
    row = page.locator(".member-row", has_text=invitee)
    expect(row.locator(".member-role")).to_contain_text("viewer")
    expect(page.locator(".invitation-row")).to_have_count(0)
    row.get_by_role("combobox").click()
    page.get_by_role("option", name="member").click()
    expect(page.get_by_text(f"{invitee} is now member")).to_be_visible()
    other.goto(f"{stack.base_url}/dashboard/settings")  # now a member: still no management
    expect(other.locator(".member-row", has_text=invitee)).to_contain_text("Member")
    expect(other.locator("#invite-member")).to_have_count(0)
    assert owner_tab.errors == []
    assert teammate_tab.errors == []


def test_deleting_the_organization_stops_its_keys(
    stack: Stack, open_page: OpenPage, screenshots_dir: Path
) -> None:
    account = create_account(stack.database_url, "delete", "Short Lived")
    assert chat(stack.base_url, account.api_key).choices
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}/dashboard/settings")

    page.locator("#delete-org").click()
    page.locator("#delete-confirm").fill("short lived")
    page.locator("#confirm-delete").click()
    expect(page.locator("#dialog-error")).to_contain_text("exactly")
    page.locator("#delete-confirm").fill("Short Lived")
    screenshot(page, screenshots_dir, "settings-delete-desktop")
    page.locator("#confirm-delete").click()

    page.wait_for_url("**/onboarding")  # the owner belongs to no organization any more
    with pytest.raises(openai.AuthenticationError):
        chat(stack.base_url, account.api_key)
    assert watched.errors == []


def test_a_plan_chosen_on_the_pricing_page_is_offered_right_after_sign_up(
    stack: Stack, fake_stripe: FakeStripe, open_page: OpenPage, mailbox: Mailbox
) -> None:
    watched = open_page(*DESKTOP)
    page = watched.page
    stripe_hosted_pages(page, fake_stripe)
    page.goto(f"{stack.base_url}/pricing")
    page.get_by_role("link", name="Choose Growth").first.click()

    page.wait_for_url(re.compile(r"/signup/?\?plan=growth$"))
    expect(page.locator("#signup-plan-note")).to_contain_text("You chose Growth")
    email = unique_email("chosen")
    submit_sign_up(page, email=email, org_name="Chosen Plan Co")
    open_confirmation(page, mailbox, email)
    page.wait_for_url(re.compile(r"/onboarding/?\?plan=growth$"))
    expect(page.locator("#revealed-key")).to_contain_text("gw_")

    page.locator("#upgrade-chosen-plan").click()
    page.wait_for_url(re.compile(r"/dashboard/billing/?\?plan=growth$"))
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.locator("#chosen-plan")).to_be_visible()
    page.locator("#upgrade-growth").click()
    page.wait_for_url(f"{fake_stripe.url}/pay/**")
    assert fake_stripe.session_for(page.url)["metadata"]["plan"] == "growth"
    assert watched.errors == []


def test_a_free_or_unknown_plan_in_the_sign_up_link_changes_nothing(
    stack: Stack, open_page: OpenPage
) -> None:
    page = open_page(*DESKTOP).page
    for plan in ("free", "enterprise", "bogus"):
        page.goto(f"{stack.base_url}/signup?plan={plan}")
        expect(page.locator("#signup-plan-note")).to_contain_text("no card needed")
