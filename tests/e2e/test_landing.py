"""The landing page, as a visitor sees it in a desktop and a phone browser."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gateway.billing.errors import SALES_EMAIL
from gateway.billing.plans import PLANS, Plan
from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import color_mode

pytestmark = pytest.mark.e2e

PROMISE = "Change one line — your base_url — and cut your LLM bill"
VIEWPORTS = [
    pytest.param(1280, 800, "light", id="desktop"),
    pytest.param(390, 844, "light", id="phone"),
    pytest.param(1280, 800, "dark", id="desktop-dark"),
]


def expected_price(plan: Plan) -> str:
    return "Contact us" if plan.sold_by_contact else f"${plan.monthly_price_usd:,}"


@pytest.mark.parametrize(("width", "height", "color_scheme"), VIEWPORTS)
def test_landing_shows_the_promise_and_every_plan_with_its_price(
    web_url: str,
    open_page: OpenPage,
    screenshots_dir: Path,
    request: pytest.FixtureRequest,
    width: int,
    height: int,
    color_scheme: str,
) -> None:
    watched = open_page(width, height, color_scheme)
    page = watched.page

    page.goto(f"{web_url}/")

    expect(page.get_by_role("heading", level=1)).to_have_text(PROMISE)
    expect(page.locator("html")).to_have_class(color_mode(color_scheme), timeout=10_000)
    for plan in PLANS.values():
        card = page.locator(f"#plan-{plan.name.value}")
        expect(card.get_by_role("heading", name=plan.title, exact=True)).to_be_visible()
        expect(card.locator(".plan-price")).to_have_text(expected_price(plan))
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, "the page scrolls sideways"
    page.screenshot(
        path=screenshots_dir / f"landing-{request.node.callspec.id}.png", full_page=True
    )
    assert watched.errors == []


def test_color_mode_switch_toggles_dark_mode(web_url: str, open_page: OpenPage) -> None:
    watched = open_page(1280, 800, "light")
    page = watched.page
    # The switch works once React has hydrated the page, which is also when the page opens
    # its event socket: a click before that would be lost.
    with page.expect_websocket(lambda socket: "/_event" in socket.url):
        page.goto(f"{web_url}/")
    expect(page.locator("html")).to_have_class(color_mode("light"))

    # A click in the instant between the socket opening and the switch's handler attaching
    # is lost; a person clicks again, and so does this test, only while the page is light.
    html = page.locator("html")
    for _ in range(3):
        page.get_by_role("button", name="Toggle dark mode").click()
        page.wait_for_timeout(2_000)
        if color_mode("dark").search(html.get_attribute("class") or ""):
            break

    expect(html).to_have_class(color_mode("dark"))
    assert watched.errors == []


def test_footer_links_to_the_gateway_health_on_the_same_port(
    web_url: str, open_page: OpenPage
) -> None:
    watched = open_page(390, 844)
    page = watched.page
    page.goto(f"{web_url}/")

    with page.expect_response(f"{web_url}/health") as health:
        page.get_by_role("link", name="API status").click()

    assert page.url == f"{web_url}/health"
    assert health.value.json()["status"] == "ok"
    assert watched.errors == []


def test_health_answers_json_through_the_web_port(web_url: str) -> None:
    with urllib.request.urlopen(f"{web_url}/health", timeout=10) as response:
        assert response.headers["content-type"].startswith("application/json")
        assert json.load(response)["status"] == "ok"


def test_unknown_api_paths_get_the_gateway_error_json_not_a_page(web_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{web_url}/v1/no-such-endpoint", timeout=10)

    assert raised.value.code == 404
    assert raised.value.headers["content-type"].startswith("application/json")
    assert "error" in json.load(raised.value)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_every_link_of_the_marketing_pages_leads_somewhere(
    web_url: str, open_page: OpenPage
) -> None:
    page = open_page(1280, 800).page
    links: set[str] = set()
    for path in ("/", "/pricing", "/docs"):
        page.goto(f"{web_url}{path}")
        expect(page.locator("footer")).to_be_visible()
        links |= set(page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"))

    assert status_of(f"{web_url}/no-such-page") == 404  # so a missing page would show here
    mail = {link for link in links if link.startswith("mailto:")}
    assert mail and all(link.startswith(f"mailto:{SALES_EMAIL}") for link in mail)
    local = {link.split("#")[0] for link in links if link.startswith(web_url)}
    assert {f"{web_url}/signup?plan=growth", f"{web_url}/pricing"} <= local
    assert {link: status_of(link) for link in local} == dict.fromkeys(local, 200)
