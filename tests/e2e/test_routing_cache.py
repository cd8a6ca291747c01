"""Routing and cache pages as a customer uses them: a saved strategy steers the next `auto`
request; clearing the cache makes the next identical request miss; viewers change nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from playwright.sync_api import expect

from gateway.billing.plans import PlanName
from gateway.db.engine import make_engine
from gateway.db.enums import MemberRole
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.pricing.catalog import Catalog
from routerai_app.state.routing import NOT_ALLOWED, RoutingState
from routerai_app.state.session import SessionState
from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.events import EventSocket
from tests.e2e.journeys import (
    Account,
    create_account,
    screenshot,
    session_token,
    sign_in_context,
)
from tests.e2e.server import Stack
from tests.e2e.test_isolation import add_membership

pytestmark = pytest.mark.e2e
ROUTING_PAGE = "/dashboard/routing"
QUESTION = [{"role": "user", "content": "Name three primary colours."}]


def growth_account(
    stack: Stack, label: str, org_name: str, plan: PlanName = PlanName.GROWTH
) -> Account:
    """A new account whose organization is on Growth (platform keys, semantic cache)."""
    account = create_account(stack.database_url, label, org_name)
    engine = make_engine(stack.database_url)
    try:
        with system_session(engine) as session:
            org = session.get(Organization, account.org_id)
            assert org is not None
            org.plan = plan
            session.add(org)
    finally:
        engine.dispose()
    return account


def organization(stack: Stack, org_id: uuid.UUID) -> Organization:
    engine = make_engine(stack.database_url)
    try:
        with system_session(engine) as session:
            org = session.get(Organization, org_id)
            assert org is not None
            return org
    finally:
        engine.dispose()


def ask(stack: Stack, api_key: str, **options: Any) -> Any:
    """One chat completion with `model="auto"`; returns the raw response (with headers)."""
    client = OpenAI(base_url=f"{stack.base_url}/v1", api_key=api_key, max_retries=0)
    return client.chat.completions.with_raw_response.create(
        model="auto", messages=QUESTION, **{"max_tokens": 32, **options}
    )


def route_of(response: Any) -> dict[str, str]:
    header = response.headers["x-routerai-route"]
    return dict(part.split("=", 1) for part in header.split(";"))


def tier_of(response: Any) -> int:
    provider = response.headers["x-routerai-provider"]
    model = response.headers["x-routerai-model"]
    info = Catalog().get(provider, model)
    assert info is not None, (provider, model)
    return info.quality_tier


def cacheable(stack: Stack, api_key: str) -> str:
    """The question at temperature 0, with room for a complete (so cacheable) answer."""
    return str(ask(stack, api_key, temperature=0, max_tokens=1024).headers["x-routerai-cache"])


def cache_status_after_fill(stack: Stack, api_key: str) -> str:
    """Repeat the question until its answer has been stored (stored after the response)."""
    deadline = time.monotonic() + 15
    status = "miss"
    while status == "miss" and time.monotonic() < deadline:
        status = cacheable(stack, api_key)
    return status


def test_a_saved_strategy_steers_the_next_auto_request(
    stack: Stack, open_page: OpenPage, screenshots_dir: Path
) -> None:
    account = growth_account(stack, "router", "Router Works")
    before = ask(stack, account.api_key)
    assert route_of(before)["strategy"] == "balanced"
    assert tier_of(before) < 5
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}{ROUTING_PAGE}")

    expect(page.locator("#routing-form")).to_be_visible()
    page.locator("#strategy-quality").click()
    expect(page.locator("#weight-quality-value")).to_have_text("90%")
    page.locator("#preview-run").click()
    expect(page.locator(".preview-row")).to_have_count(3)
    expect(page.locator(".preview-chosen").first).not_to_be_empty()
    screenshot(page, screenshots_dir, "routing-preview-desktop")
    assert organization(stack, account.org_id).routing_strategy == "balanced"  # a preview
    page.locator("#routing-save").click()
    expect(page.get_by_text("Routing saved").first).to_be_visible()
    expect(page.locator("#routing-save")).to_be_disabled()

    after = ask(stack, account.api_key)
    assert route_of(after)["strategy"] == "quality"
    assert route_of(after)["chosen"] == (
        f"{after.headers['x-routerai-provider']}/{after.headers['x-routerai-model']}"
    )
    # Quality-first picks a stronger model than balanced did (which one also depends on the
    # providers' live health, shared with every other test).
    assert tier_of(after) >= 4 and tier_of(after) > tier_of(before)
    assert organization(stack, account.org_id).routing_strategy == "quality"
    assert watched.errors == []


def test_moving_a_weight_rebalances_the_others_and_saves_custom_weights(
    stack: Stack, open_page: OpenPage
) -> None:
    account = growth_account(stack, "weights", "Weighty Matters", PlanName.SCALE)
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}{ROUTING_PAGE}")

    page.locator("#weight-latency").get_by_role("slider").press("End")
    expect(page.locator("#weight-latency-value")).to_have_text("100%")
    expect(page.locator("#weight-cost-value")).to_have_text("0%")
    expect(page.locator("#weight-quality-value")).to_have_text("0%")
    cost = page.locator("#weight-cost").get_by_role("slider")
    for percent in range(1, 11):  # one step each, as a keyboard user moves it
        cost.press("ArrowRight")
        expect(page.locator("#weight-cost-value")).to_have_text(f"{percent}%")
    expect(page.locator("#weight-quality-value")).to_have_text("0%")
    expect(page.locator("#weight-latency-value")).to_have_text("90%")
    expect(page.locator("#strategy-custom")).to_be_checked()
    page.locator("#routing-save").click()
    expect(page.get_by_text("Routing saved").first).to_be_visible()

    org = organization(stack, account.org_id)
    assert org.routing_strategy == "custom"
    assert org.routing_weights == {"cost": 0.1, "quality": 0.0, "latency": 0.9}
    assert route_of(ask(stack, account.api_key))["strategy"] == "custom"
    assert watched.errors == []


def test_clearing_the_cache_makes_the_next_identical_request_miss(
    stack: Stack, open_page: OpenPage, screenshots_dir: Path
) -> None:
    account = growth_account(stack, "cacher", "Cache Crafters")
    assert cache_status_after_fill(stack, account.api_key) == "exact"
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}/dashboard/cache")

    expect(page.locator("#tier-note")).to_contain_text("semantic matching")
    expect(page.locator("#cache-entries")).not_to_have_text("0")
    page.locator("#clear-cache").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Clear the cache?")
    screenshot(page, screenshots_dir, "cache-clear-dialog-desktop")
    page.locator("#confirm-clear").click()
    expect(page.get_by_text("Cleared 1 cached answer.").first).to_be_visible()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.locator("#cache-entries")).to_have_text("0")

    assert cacheable(stack, account.api_key) == "miss"
    assert watched.errors == []


def test_a_viewer_sees_routing_read_only_and_the_service_refuses_their_changes(
    stack: Stack, open_page: OpenPage
) -> None:
    owner = growth_account(stack, "route-owner", "Route Owners")
    viewer = create_account(stack.database_url, "route-viewer", "Viewer Home")
    add_membership(
        stack.database_url, org_id=owner.org_id, user_id=viewer.user_id, role=MemberRole.VIEWER
    )
    in_owners_org = dataclasses.replace(viewer, org_id=owner.org_id)
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, in_owners_org)
    page.goto(f"{stack.base_url}{ROUTING_PAGE}")

    expect(page.locator("#viewer-note")).to_be_visible()
    expect(page.locator("#strategy-quality")).to_be_disabled()
    expect(page.locator("#prefer-local")).to_be_disabled()
    expect(page.locator("#routing-save")).to_have_count(0)
    assert watched.errors == []

    token = session_token(in_owners_org)

    async def crafted_save() -> None:
        async with EventSocket(stack.base_url, token) as tab:
            await tab.send(RoutingState, "load", ROUTING_PAGE)
            assert tab.var(SessionState, "role") == "viewer"
            await tab.send(RoutingState, "set_strategy", ROUTING_PAGE, value="quality")
            await tab.send(RoutingState, "save", ROUTING_PAGE)
            assert tab.var(RoutingState, "form_error") == NOT_ALLOWED

    # Playwright's sync API owns this thread's event loop: the socket runs on another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, crafted_save()).result()
    assert organization(stack, owner.org_id).routing_strategy == "balanced"
