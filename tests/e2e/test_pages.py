"""Every page at desktop and phone widths, light and dark: it renders its content, fits
the screen without scrolling sideways, logs no console error, and is screenshotted into
test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    Account,
    chat,
    color_mode,
    create_account,
    page_fits,
    screenshot,
    seed_history,
    sign_in_context,
    sign_up,
    unique_email,
)
from tests.e2e.server import Stack
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.e2e

VARIANTS = [
    pytest.param(1280, 800, "light", id="desktop"),
    pytest.param(390, 844, "light", id="phone"),
    pytest.param(1280, 800, "dark", id="desktop-dark"),
    pytest.param(390, 844, "dark", id="phone-dark"),
]
# Each public page, and what shows once it is rendered and live.
PUBLIC_PAGES = {
    "pricing": ("/pricing", "#plan-comparison"),
    "docs": ("/docs", "#reference"),
    "signup": ("/signup", "#signup-submit:enabled"),
    "signup-confirm-spent": ("/signup/confirm?token=spent", "#confirm-error"),
    "login": ("/login", "#login-submit:enabled"),
}
DASHBOARD_PAGES = {
    "dashboard": ("/dashboard", "#kpi-requests"),
    "dashboard-empty": ("/dashboard", "#empty-state"),
    "keys": ("/dashboard/keys", "#keys-table"),
    "usage": ("/dashboard/usage", "#usage-table"),
    "logs": ("/dashboard/logs", "#log-filters"),
    "logs-empty": ("/dashboard/logs", "#logs-empty"),
    "providers": ("/dashboard/providers", "#provider-cards"),
    "routing": ("/dashboard/routing", "#routing-form"),
    "cache": ("/dashboard/cache", "#cache-settings"),
    "billing": ("/dashboard/billing", "#billing-plan"),
    "settings": ("/dashboard/settings", "#members-table"),
}
MODELS = ("auto", "llama-3.3-70b", "auto", "qwen2.5")


@pytest.fixture(scope="module")
def busy_account(stack: Stack) -> Account:
    """An organization with a week of rolled-up history and some live traffic today."""
    account = create_account(stack.database_url, "busy", "Northwind Traders")
    seed_history(stack.database_url, account.org_id)
    for model in MODELS:
        chat(stack.base_url, account.api_key, model)
    return account


@pytest.fixture(scope="module")
def quiet_account(stack: Stack) -> Account:
    return create_account(stack.database_url, "quiet", "Quiet Meadow")


def shot_name(page_name: str, width: int, scheme: str) -> str:
    device = "desktop" if width > 600 else "phone"
    return f"{page_name}-{device}" + ("-dark" if scheme == "dark" else "")


def check_and_capture(page: Page, width: int, scheme: str, shots: Path, name: str) -> None:
    expect(page.locator("html")).to_have_class(color_mode(scheme))
    assert page_fits(page, width), f"{name} scrolls sideways at {width}px"
    screenshot(page, shots, name)


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
@pytest.mark.parametrize(("width", "height", "scheme"), VARIANTS)
def test_public_page(
    stack: Stack,
    open_page: OpenPage,
    screenshots_dir: Path,
    name: str,
    width: int,
    height: int,
    scheme: str,
) -> None:
    path, ready = PUBLIC_PAGES[name]
    watched = open_page(width, height, scheme)

    watched.page.goto(f"{stack.base_url}{path}")

    expect(watched.page.locator(ready)).to_be_visible()
    check_and_capture(watched.page, width, scheme, screenshots_dir, shot_name(name, width, scheme))
    assert watched.errors == []


@pytest.mark.parametrize("name", list(DASHBOARD_PAGES))
@pytest.mark.parametrize(("width", "height", "scheme"), VARIANTS)
def test_dashboard_page(
    stack: Stack,
    open_page: OpenPage,
    screenshots_dir: Path,
    request: pytest.FixtureRequest,
    name: str,
    width: int,
    height: int,
    scheme: str,
) -> None:
    path, ready = DASHBOARD_PAGES[name]
    account = request.getfixturevalue("quiet_account" if name.endswith("empty") else "busy_account")
    watched = open_page(width, height, scheme)
    sign_in_context(watched.page.context, stack.base_url, account)

    watched.page.goto(f"{stack.base_url}{path}")

    expect(watched.page.locator(ready)).to_be_visible()
    expect(watched.page.locator("#org-switcher")).to_contain_text(account.org_name)
    if name == "dashboard":
        expect(watched.page.locator(".js-plotly-plot").first).to_be_visible()
    check_and_capture(watched.page, width, scheme, screenshots_dir, shot_name(name, width, scheme))
    assert watched.errors == []


def test_phone_sign_up_onboarding_and_menu(
    stack: Stack, open_page: OpenPage, mailbox: Mailbox, screenshots_dir: Path
) -> None:
    watched = open_page(390, 844)
    page = watched.page

    api_key = sign_up(
        page, stack.base_url, mailbox, email=unique_email("phone"), org_name="Pocket Co"
    )

    assert api_key.startswith("gw_pocket-co_prod_")
    check_and_capture(page, 390, "light", screenshots_dir, "onboarding-phone")
    page.get_by_role("button", name="Go to the dashboard").click()
    page.get_by_role("button", name="Open navigation").click()
    expect(page.get_by_role("dialog").get_by_role("link", name="API keys")).to_be_visible()
    screenshot(page, screenshots_dir, "dashboard-phone-menu")
    assert watched.errors == []
