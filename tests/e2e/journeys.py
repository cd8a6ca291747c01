"""What a visitor does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from openai import OpenAI
from playwright.sync_api import BrowserContext, Page, expect

from gateway.auth import accounts
from gateway.auth.sessions import SessionStore
from gateway.db.engine import make_engine
from gateway.db.models import UsageDaily
from gateway.db.sessions import tenant_session
from tests.e2e.server import E2E_REDIS_URL
from tests.fixtures.mail import Mailbox, link_in

PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "routerai_session"


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    org_id: uuid.UUID
    org_name: str
    user_id: uuid.UUID
    api_key: str


def color_mode(scheme: str) -> re.Pattern[str]:
    """Matches <html>'s class list when the page is drawn in `scheme` ("light" or "dark"),
    whatever other classes Reflex puts beside it."""
    return re.compile(rf"(^|\s){scheme}(\s|$)")


def unique_email(label: str) -> str:
    return f"{label}-{secrets.token_hex(4)}@example.com"


def submit_sign_up(page: Page, *, email: str, org_name: str) -> None:
    """Fill in the sign-up form on the page and send it; it then asks to check the inbox."""
    expect(page.locator("#signup-submit")).to_be_enabled()  # hydrated: typing is kept
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization name").fill(org_name)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#signup-sent-to")).to_have_text(email)


def open_confirmation(page: Page, mailbox: Mailbox, email: str) -> None:
    """Open the link of the confirmation mail sent to `email`, as its owner would."""
    page.goto(link_in(mailbox.wait_for(email)))


def sign_up(page: Page, base_url: str, mailbox: Mailbox, *, email: str, org_name: str) -> str:
    """Sign up through the form and the mailed link; returns the first key as copied with
    its copy button."""
    page.goto(f"{base_url}/signup")
    submit_sign_up(page, email=email, org_name=org_name)
    open_confirmation(page, mailbox, email)
    page.wait_for_url("**/onboarding**")
    # The link creates the account, then hands the session over and loads the onboarding:
    # three page loads, slow on a busy 2-core machine.
    expect(page.locator("#revealed-key")).to_contain_text("gw_", timeout=30_000)
    page.locator("#copy-key").click()
    expect(page.get_by_text("Copied to the clipboard").first).to_be_visible()
    # The confirmation appears where the pointer rests on a phone, and a hovered toast stays;
    # a person's hand moves on, and so does this pointer, letting the toast time out.
    page.mouse.move(0, 0)
    return str(page.evaluate("navigator.clipboard.readText()"))


def log_in(page: Page, base_url: str, *, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def chat(base_url: str, api_key: str, model: str = "auto") -> Any:
    client = OpenAI(base_url=f"{base_url}/v1", api_key=api_key, max_retries=0)
    return client.chat.completions.create(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "Hello from a test"}]
    )


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to completion off Playwright's thread (it owns an event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def create_account(database_url: str, label: str, org_name: str) -> Account:
    """An account made through the sign-up service directly (no browser)."""
    engine = make_engine(database_url)
    try:
        email = unique_email(label)
        created = accounts.sign_up(engine, email=email, password=PASSWORD, org_name=org_name)
    finally:
        engine.dispose()
    return Account(
        email, PASSWORD, created.org_id, created.org_name, created.user_id, created.api_key
    )


def session_token(account: Account) -> str:
    """A new server-side session for `account`, as signing in makes one."""

    async def new_session() -> str:
        client = aioredis.Redis.from_url(E2E_REDIS_URL)
        try:
            return await SessionStore(client).create(account.user_id, account.org_id)
        finally:
            await client.aclose()

    return str(run_async(new_session()))


def end_session(token: str) -> None:
    """End a session server-side, as signing out or expiry does."""

    async def destroy() -> None:
        client = aioredis.Redis.from_url(E2E_REDIS_URL)
        try:
            await SessionStore(client).destroy(token)
        finally:
            await client.aclose()

    run_async(destroy())


def sign_in_context(context: BrowserContext, base_url: str, account: Account) -> None:
    """Give the context a live session for `account` (the sign-in form has tests of its own)."""
    token = session_token(account)
    context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": token,
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def seed_history(database_url: str, org_id: uuid.UUID, days: int = 6) -> None:
    """Rolled-up usage for the `days` days before today, as the roll-up job would leave it."""
    engine = make_engine(database_url)
    today = datetime.now(UTC).date()
    try:
        with tenant_session(engine, org_id) as session:
            for back in range(days, 0, -1):
                requests = 40 + 13 * back
                session.add(
                    UsageDaily(
                        org_id=org_id,
                        day=today - timedelta(days=back),
                        requests=requests,
                        prompt_tokens=requests * 120,
                        completion_tokens=requests * 80,
                        total_tokens=requests * 200,
                        cost=requests * 900,
                        baseline_cost=requests * 2600,
                        cache_hits=back * 3,
                        cache_misses=requests - back * 4,
                        errors=back,
                        by_provider={
                            "groq": _entry(requests // 2),
                            "ollama": _entry(requests - requests // 2),
                        },
                        by_model={
                            "llama-3.3-70b-versatile": _entry(requests // 2),
                            "qwen2.5": _entry(requests - requests // 2),
                        },
                    )
                )
    finally:
        engine.dispose()


def _entry(requests: int) -> dict[str, int]:
    return {
        "requests": requests,
        "prompt_tokens": requests * 120,
        "completion_tokens": requests * 80,
        "cost": requests * 900,
        "baseline_cost": requests * 2600,
    }


def page_fits(page: Page, width: int) -> bool:
    """True when the page does not scroll sideways at `width`."""
    return int(page.evaluate("document.documentElement.scrollWidth")) <= width


def screenshot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=directory / f"{name}.png", full_page=True)
