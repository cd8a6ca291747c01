"""A newcomer's first visit, end to end: from the landing page to a revoked key."""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import chat, screenshot, sign_up, unique_email
from tests.e2e.server import Stack
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.e2e

# The overview refreshes itself; traffic must show up within this without a reload.
LIVE_UPDATE_MS = 5_000
# How long a revoked key may still pass: the gateway's per-process cache entry lives 1 s.
REVOCATION_WINDOW_S = 3.0


def refused_with_401(base_url: str, api_key: str) -> bool:
    """True once a request with `api_key` fails with 401, within REVOCATION_WINDOW_S."""
    deadline = time.monotonic() + REVOCATION_WINDOW_S
    while time.monotonic() < deadline:
        try:
            chat(base_url, api_key)
        except openai.AuthenticationError as refused:
            return refused.status_code == 401
        time.sleep(0.2)
    return False


def test_newcomer_signs_up_sends_a_request_sees_it_live_and_revokes_a_key(
    stack: Stack, open_page: OpenPage, mailbox: Mailbox, screenshots_dir: Path
) -> None:
    base_url = stack.base_url
    watched = open_page(*DESKTOP)
    page = watched.page

    # Landing → pricing → sign-up.
    page.goto(f"{base_url}/")
    page.locator("header").get_by_role("link", name="Pricing").click()
    page.wait_for_url("**/pricing**")
    expect(page.locator("#plan-comparison")).to_be_visible()
    page.locator("#plan-free").get_by_role("link", name="Start free").click()
    page.wait_for_url("**/signup**")

    # Sign up, confirm the address from the mail, copy the first key with its copy button.
    email = unique_email("newcomer")
    api_key = sign_up(page, base_url, mailbox, email=email, org_name="Newcomer Labs")
    assert api_key.startswith("gw_newcomer-labs")
    expect(page.get_by_role("tab", name="Python")).to_be_visible()
    expect(page.get_by_text(api_key).last).to_be_visible()  # the snippet carries the key

    # The dashboard starts empty, with the first-request snippet.
    page.get_by_role("button", name="Go to the dashboard").click()
    page.wait_for_url("**/dashboard**")
    expect(page.locator("#empty-state")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    # A request through the official SDK shows up on the overview by itself.
    reply = chat(base_url, api_key)
    assert reply.choices[0].message.content
    expect(page.locator("#kpi-requests")).to_have_text("1", timeout=LIVE_UPDATE_MS)
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    screenshot(page, screenshots_dir, "journey-overview-first-request")

    # A second key: created, shown once, then revoked with a confirmation.
    page.get_by_role("link", name="API keys").first.click()
    page.wait_for_url("**/dashboard/keys**")
    page.get_by_role("button", name="Create key").click()
    page.get_by_label("Name").fill("Temporary key")
    page.locator("#create-key-submit").click()
    second_key = page.locator("#revealed-key").inner_text()
    assert second_key.startswith("gw_newcomer-labs") and second_key != api_key
    assert chat(base_url, second_key).choices
    page.get_by_role("button", name="I have saved it").click()
    row = page.locator(".key-row", has_text="Temporary key")
    expect(row.get_by_text("Active")).to_be_visible()
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("dialog")).to_contain_text("Temporary key")
    page.locator("#confirm-revoke").click()
    expect(row.get_by_text("Revoked")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    screenshot(page, screenshots_dir, "journey-keys-after-revoke")

    # The revoked key is refused (each gateway process may trust its one-second local
    # cache entry a moment longer); the first key still works.
    assert refused_with_401(base_url, second_key)
    assert chat(base_url, api_key).choices
    assert watched.errors == []
