"""A user reads their request log (filters, one request's details) and exports usage as CSV."""

from __future__ import annotations

import csv
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openai
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from gateway.db.engine import make_engine
from gateway.db.models import RequestLog
from gateway.db.sessions import tenant_session
from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import (
    Account,
    chat,
    create_account,
    screenshot,
    seed_history,
    sign_in_context,
)
from tests.e2e.server import Stack

pytestmark = pytest.mark.e2e
LIVE_MODELS = ("auto", "llama-3.3-70b", "auto")


def logged(database_url: str, org_id: uuid.UUID) -> list[RequestLog]:
    engine = make_engine(database_url)
    try:
        with tenant_session(engine, org_id) as session:
            statement = select(RequestLog).where(RequestLog.org_id == org_id)
            return list(session.exec(statement))
    finally:
        engine.dispose()


def wait_for_logs(database_url: str, org_id: uuid.UUID, count: int) -> list[RequestLog]:
    """The organization's request_logs once the ingestion worker has written `count` rows."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = logged(database_url, org_id)
        if len(rows) >= count:
            return rows
        time.sleep(0.3)
    raise AssertionError(f"only {len(rows)} of {count} requests were ingested")


@pytest.fixture(scope="module")
def traffic(stack: Stack) -> tuple[Account, list[RequestLog]]:
    """Six days of history, three answered requests today and one for an unknown model."""
    account = create_account(stack.database_url, "usage", "Ledger & Co")
    seed_history(stack.database_url, account.org_id)
    for model in LIVE_MODELS:
        chat(stack.base_url, account.api_key, model)
    with pytest.raises(openai.NotFoundError):
        chat(stack.base_url, account.api_key, "no-such-model")
    return account, wait_for_logs(stack.database_url, account.org_id, len(LIVE_MODELS) + 1)


def choose(page: Page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_filtering_the_log_and_opening_a_request(
    stack: Stack,
    open_page: OpenPage,
    screenshots_dir: Path,
    traffic: tuple[Account, list[RequestLog]],
) -> None:
    account, rows = traffic
    answered = next(row for row in rows if row.status_code == 200 and row.model_used)
    same_model = [row for row in rows if row.model_used == answered.model_used]
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)

    page.goto(f"{stack.base_url}/dashboard/logs")
    expect(page.locator(".log-row")).to_have_count(len(rows))

    choose(page, "#filter-status", "4xx")
    expect(page.locator(".log-row")).to_have_count(1)
    expect(page.locator(".log-row").first).to_have_attribute("data-status", "404")

    choose(page, "#filter-status", "Any status")
    choose(page, "#filter-model", str(answered.model_used))
    expect(page.locator(".log-row")).to_have_count(len(same_model))
    expect(page.locator(".log-model").first).to_have_text(str(answered.model_used))

    page.locator(".log-row").first.click()
    detail = page.locator("#log-detail")
    expect(detail).to_be_visible()
    expect(detail.locator("#detail-status")).to_have_text("200")
    expect(detail.locator("#detail-model")).to_have_text(str(answered.model_used))
    expect(detail.locator("#detail-chosen")).to_contain_text(str(answered.model_used))
    expect(detail.locator("#detail-cost")).to_contain_text("$")
    expect(detail.locator("#detail-latency")).to_contain_text("ms")
    screenshot(page, screenshots_dir, "logs-detail-desktop")
    page.keyboard.press("Escape")
    expect(detail).to_have_count(0)

    choose(page, "#filter-model", "Any model")
    choose(page, "#filter-status", "404")
    expect(page.locator(".log-row")).to_have_count(1)
    page.locator(".log-row").first.click()
    expect(page.locator("#detail-error-type")).to_contain_text("model_not_found")
    assert watched.errors == []


def test_changing_the_usage_range_and_exporting_what_is_shown(
    stack: Stack,
    open_page: OpenPage,
    screenshots_dir: Path,
    tmp_path: Path,
    traffic: tuple[Account, list[RequestLog]],
) -> None:
    account, rows = traffic
    today = datetime.now(UTC).date()
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)

    page.goto(f"{stack.base_url}/dashboard/usage")
    history = sum(40 + 13 * back for back in range(1, 7))
    expect(page.locator("#usage-requests")).to_have_text(f"{history + len(rows):,}")

    page.locator("#usage-range").get_by_role("radio", name="Custom").click()
    page.locator("#range-start").fill(str(today - timedelta(days=2)))
    page.locator("#range-end").fill(str(today - timedelta(days=1)))
    page.locator("#apply-range").click()
    expect(page.locator("#range-label")).to_contain_text("2 days")
    expect(page.locator("#usage-requests")).to_have_text(f"{(40 + 26) + (40 + 13)}")
    page.locator("#usage-group").get_by_role("radio", name="By provider").click()
    expect(page.locator("#usage-table")).to_contain_text("Provider")
    shown = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in page.locator(".usage-row, #usage-total").all()
    ]
    screenshot(page, screenshots_dir, "usage-custom-range-desktop")

    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert download.suggested_filename == (
        f"routerai-usage-by-provider-{today - timedelta(days=2)}-to-{today - timedelta(days=1)}.csv"
    )
    with saved.open(newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert [line["provider"] for line in exported] == [row[0] for row in shown]
    assert [line["provider"] for line in exported] == ["ollama", "groq", "Total"]
    assert [int(line["requests"]) for line in exported] == [
        int(row[1].replace(",", "")) for row in shown
    ]
    assert exported[-1]["requests"] == "119"
    assert exported[-1]["cost_usd"] == f"{119 * 900 / 1_000_000:.6f}"
    assert exported[-1]["saved_usd"] == f"{119 * 1700 / 1_000_000:.6f}"
    assert watched.errors == []


def test_the_pages_refuse_visitors_without_a_session(stack: Stack, open_page: OpenPage) -> None:
    page = open_page(*DESKTOP).page
    for path in ("/dashboard/usage", "/dashboard/logs"):
        page.goto(f"{stack.base_url}{path}")
        page.wait_for_url(re.compile(rf"/login\?next={path}$"))
