"""The docs: the API reference follows /openapi.json; signed in, the snippets carry a real key."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import chat, create_account, sign_in_context
from tests.e2e.server import Stack

pytestmark = pytest.mark.e2e


def test_the_reference_lists_every_operation_of_the_served_openapi_document(
    stack: Stack, open_page: OpenPage
) -> None:
    with urllib.request.urlopen(f"{stack.base_url}/openapi.json", timeout=10) as response:
        document = json.load(response)
    watched = open_page(*DESKTOP)

    watched.page.goto(f"{stack.base_url}/docs")

    reference = watched.page.locator("#reference")
    for path, item in document["paths"].items():
        for method in item:
            anchor = f"{method}-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
            card = reference.locator(f"#{anchor}")
            expect(card).to_contain_text(path)
            expect(card).to_contain_text(method.upper())
    expect(watched.page.locator("#headers")).to_contain_text("x-routerai-cost-usd")
    expect(watched.page.locator("#errors")).to_contain_text("insufficient_quota")
    assert watched.errors == []


def test_signed_in_the_quickstart_fills_in_a_new_key_that_works(
    stack: Stack, open_page: OpenPage
) -> None:
    account = create_account(stack.database_url, "docs", "Docs Readers")
    watched = open_page(*DESKTOP)
    page = watched.page
    sign_in_context(page.context, stack.base_url, account)
    page.goto(f"{stack.base_url}/docs")
    expect(page.get_by_text("gw_docs-readers_prod_YOUR_KEY").first).to_be_visible()

    page.get_by_role("button", name="Create a key for these snippets").click()

    snippet = page.locator("#quickstart pre").last
    expect(snippet).to_contain_text("gw_docs-readers_dev_")
    found = re.search(r"gw_docs-readers_dev_[A-Za-z0-9]+", snippet.inner_text())
    assert found is not None
    assert chat(stack.base_url, found.group()).choices
    assert watched.errors == []
