"""A new API key reaches the browser and nothing else; /metrics on the web app's port answers
only the operator's token.

One visitor takes every path on which the web app creates a key: the sign-up link's first
key, a second organization's first key, a key created and one rotated on the keys page,
and a key made for the docs' quickstart, which the overview's snippet then carries. Each
is shown and copied with its own copy button. Then every key and value in the product's
Redis database, every row of its PostgreSQL database (read as a superuser, so row-level
security hides nothing) and every line its processes logged are searched for each full
key and for its secret alone.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from playwright.sync_api import Page, expect
from psycopg import sql
from sqlalchemy import make_url

from gateway.tenancy.keys import display_prefix, parse_api_key
from tests.e2e.conftest import ARTIFACTS_DIR, DESKTOP, METRICS_TOKEN, OpenPage
from tests.e2e.journeys import chat, sign_up, unique_email
from tests.e2e.server import E2E_REDIS_URL, Stack
from tests.fixtures.db import PostgresServer
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.e2e

KEY_PATTERN = r"gw_[a-z0-9-]+_(?:prod|dev)_[A-Za-z0-9]+"


def copied_key(page: Page) -> str:
    """The key the page shows, after checking its copy button puts exactly that on the
    clipboard."""
    shown = page.locator("#revealed-key")
    expect(shown).to_contain_text("gw_", timeout=30_000)
    page.locator("#copy-key").click()
    expect(page.get_by_text("Copied to the clipboard").first).to_be_visible()
    page.mouse.move(0, 0)  # let the toast time out
    copied = str(page.evaluate("navigator.clipboard.readText()"))
    assert copied == shown.inner_text() and re.fullmatch(KEY_PATTERN, copied)
    return copied


def snippet_key(page: Page, scope: str, slug: str) -> str:
    """The key the visible quickstart snippet under `scope` carries, checked against what
    its copy button copies."""
    panel = page.locator(f"{scope} div:has(> pre:visible)").last  # the code, not the install
    code = panel.locator("pre")
    expect(code).to_contain_text(re.compile(rf"gw_{slug}_(prod|dev)_(?!YOUR_KEY)"))
    found = re.search(KEY_PATTERN, code.inner_text())
    assert found is not None
    panel.get_by_role("button", name="Copy code").click()
    page.mouse.move(0, 0)
    assert found.group() in str(page.evaluate("navigator.clipboard.readText()"))
    return found.group()


def redis_contents(url: str) -> str:
    """Every key of the Redis database at `url`, with every value, as one text."""
    client = redis.Redis.from_url(url)
    parts: list[str] = []
    try:
        for name in client.scan_iter(count=1000):
            parts.append(f"{name!r} {redis_value(client, name)!r}")
    finally:
        client.close()
    assert parts, "the product's Redis database is empty: the search would prove nothing"
    return "\n".join(parts)


def redis_value(client: redis.Redis, name: bytes) -> Any:
    kind = client.type(name).decode()
    if kind == "string":
        return client.get(name)
    if kind == "hash":
        return client.hgetall(name)
    if kind == "list":
        return client.lrange(name, 0, -1)
    if kind == "set":
        return client.smembers(name)
    if kind == "zset":
        return client.zrange(name, 0, -1, withscores=True)
    if kind == "stream":
        return client.xrange(name)
    return kind


def database_contents(server: PostgresServer, database_url: str) -> str:
    """Every row of every table of the product's database, as JSON, as one text."""
    name = make_url(database_url).database
    url = server.admin_url.set(database=name).render_as_string(hide_password=False)
    rows: list[str] = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (table,) in tables:
            query = sql.SQL("SELECT row_to_json(t)::text FROM {} t").format(sql.Identifier(table))
            rows += [row for (row,) in conn.execute(query)]
    return "\n".join(rows)


def logged(log_dir: Path) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(log_dir.glob("*.log")))


def test_new_keys_are_shown_and_copied_in_the_page_and_stored_nowhere(
    stack: Stack, open_page: OpenPage, mailbox: Mailbox, postgres_server: PostgresServer
) -> None:
    base_url = stack.base_url
    watched = open_page(*DESKTOP)
    page = watched.page
    keys: dict[str, str] = {}

    # The sign-up link's first key: carried across the session hand-off's page loads.
    keys["sign-up"] = sign_up(
        page, base_url, mailbox, email=unique_email("vault"), org_name="Vault One"
    )
    assert snippet_key(page, "body", "vault-one") == keys["sign-up"]
    page.get_by_role("button", name="Go to the dashboard").click()
    page.wait_for_url("**/dashboard**")

    # A second organization's first key, from the switcher's onboarding.
    page.locator("#org-switcher").click()
    page.get_by_role("menuitem", name="New organization").click()
    page.get_by_label("Organization name").fill("Vault Two")
    page.get_by_role("button", name="Create organization").click()
    keys["second organization"] = copied_key(page)
    assert snippet_key(page, "body", "vault-two") == keys["second organization"]
    page.get_by_role("button", name="Go to the dashboard").click()
    page.wait_for_url("**/dashboard**")

    # A key created, then one rotated, on the keys page.
    page.get_by_role("link", name="API keys").first.click()
    page.wait_for_url("**/dashboard/keys**")
    page.get_by_role("button", name="Create key").click()
    page.get_by_label("Name").fill("Scanned key")
    page.locator("#create-key-submit").click()
    keys["created"] = copied_key(page)
    page.get_by_role("button", name="I have saved it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.locator(".key-row", has_text="Scanned key").get_by_role("button", name="Rotate").click()
    page.locator("#confirm-rotate").click()
    keys["rotated"] = copied_key(page)
    page.get_by_role("button", name="I have saved it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The docs' quickstart key, reached from the overview's empty state; going back, the
    # overview's first-request snippet carries it too (the page has not been reloaded).
    page.get_by_role("link", name="Overview").first.click()
    expect(page.locator("#empty-state")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    page.locator("#empty-state").get_by_role("link", name="Read the docs").click()
    page.wait_for_url("**/docs**")
    page.get_by_role("button", name="Create a key for these snippets").click()
    keys["docs"] = snippet_key(page, "#quickstart", "vault-two")
    page.go_back()
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    assert snippet_key(page, "#empty-state", "vault-two") == keys["docs"]
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"

    # A reload forgets the key: it was shown once.
    page.reload()
    expect(page.locator("#empty-state")).to_contain_text("gw_vault-two_prod_YOUR_KEY")
    assert keys["docs"] not in page.locator("body").inner_text()

    assert len(set(keys.values())) == len(keys)
    for label, key in keys.items():
        assert parse_api_key(key) is not None, label
    assert chat(base_url, keys["docs"]).choices  # what was copied is the real key

    searched = {
        "redis": redis_contents(E2E_REDIS_URL),
        "database": database_contents(postgres_server, stack.database_url),
        "logs": logged(ARTIFACTS_DIR / "logs"),
    }
    # The search reads where a key used to be kept: the tab's state in Redis holds the
    # docs key's display prefix (what state may know of it), as the database does.
    prefix = display_prefix(keys["docs"]).rstrip("…")
    assert prefix in searched["redis"] and prefix in searched["database"]
    for label, key in keys.items():
        secret = key.rsplit("_", 1)[1]
        for place, text in searched.items():
            assert key not in text, f"the {label} key is in {place}"
            assert secret not in text, f"the {label} key's secret is in {place}"
    assert watched.errors == []


def status_of(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_metrics_on_the_web_apps_port_answer_only_the_operators_token(stack: Stack) -> None:
    url = f"{stack.base_url}/metrics"
    assert status_of(url, {}) == 401
    assert status_of(url, {"Authorization": "Bearer not-the-token"}) == 401
    assert status_of(url, {"Authorization": f"Bearer {METRICS_TOKEN}"}) == 200
