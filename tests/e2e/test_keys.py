"""Rotating a key in the browser: the new key is shown once, the old one gets a grace period."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import chat, create_account, screenshot, sign_in_context
from tests.e2e.server import Stack

pytestmark = pytest.mark.e2e


def test_rotating_with_a_grace_period_keeps_the_old_key_working_for_now(
    stack: Stack, open_page: OpenPage, screenshots_dir: Path
) -> None:
    account = create_account(stack.database_url, "rotate", "Rotation Station")
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}/dashboard/keys")

    page.locator(".key-row", has_text="Default key").get_by_role("button", name="Rotate").click()
    page.get_by_role("radio", name="Keep it for 1 hour").click()
    page.locator("#confirm-rotate").click()

    new_key = page.locator("#revealed-key").inner_text()
    assert new_key.startswith("gw_rotation-station_prod_") and new_key != account.api_key
    screenshot(page, screenshots_dir, "keys-rotated-desktop")
    page.get_by_role("button", name="I have saved it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(".key-row")).to_have_count(2)
    expect(page.locator(".key-row").get_by_text(re.compile(r"Expires in \d+ min"))).to_be_visible()
    assert chat(stack.base_url, new_key).choices
    assert chat(stack.base_url, account.api_key).choices  # still inside its grace period
    assert watched.errors == []
