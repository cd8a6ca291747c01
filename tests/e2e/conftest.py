"""Fixtures for browser tests: the real product on one port, and headless Chromium.

The product (web app, ingest worker, sandbox) starts once per session against a fresh
PostgreSQL database and Redis database 2 (see `server.py`), with GitHub sign-in pointed
at a fake GitHub and billing at a fake Stripe, both on 127.0.0.1. Chromium is Debian's
(`/usr/bin/chromium`); Playwright cannot download its own here.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    ViewportSize,
    expect,
    sync_playwright,
)

from gateway.billing.client import stripe_client
from gateway.billing.sync import sync_catalog
from gateway.settings import Settings
from tests.auth.fake_github import CLIENT_ID, CLIENT_SECRET, FakeGitHub
from tests.billing.fake_stripe import FakeStripe
from tests.e2e.server import REPO_ROOT, Stack
from tests.fixtures.db import PostgresServer
from tests.fixtures.mail import Mailbox, smtp_server
from tests.fixtures.servers import serve_in_thread

ColorScheme = Literal["light", "dark"]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# `make test` runs this session in the background of a script, which starts it with Ctrl-C
# ignored: take Ctrl-C back, so that it stops the session and tears down what it started.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# Assertions wait for the page up to this long: generous, because other test runs may
# share the machine's two cores. Time limits the product promises are asserted explicitly.
expect.set_options(timeout=20_000)
DESKTOP = (1280, 800)
PHONE = (390, 844)
# The operator's token for /metrics, as production requires one.
METRICS_TOKEN = "e2e-metrics-token-for-prometheus"


@contextmanager
def live_output(config: pytest.Config) -> Iterator[None]:
    """Let progress lines through pytest's capture while the app builds."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        yield
        return
    with capture.global_and_fixture_disabled():
        yield


@pytest.fixture(scope="session")
def fake_github() -> Iterator[tuple[FakeGitHub, str]]:
    """A fake GitHub OAuth server on 127.0.0.1, and its base URL."""
    fake = FakeGitHub()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="session")
def fake_stripe() -> Iterator[FakeStripe]:
    """A fake Stripe on 127.0.0.1 holding RouterAI's catalogue (`routerai stripe sync`)."""
    with FakeStripe() as fake:
        settings = Settings(ROUTERAI_ENV="test", **stripe_env(fake))
        sync_catalog(stripe_client(settings, max_network_retries=0))
        yield fake


def stripe_env(fake: FakeStripe) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
        "STRIPE_API_BASE": fake.url,
    }


@pytest.fixture(scope="session")
def mail_server() -> Iterator[tuple[Mailbox, str]]:
    """A fake SMTP server on 127.0.0.1, the web app's outgoing mail server, and its URL."""
    with smtp_server() as running:
        yield running


@pytest.fixture
def mailbox(mail_server: tuple[Mailbox, str]) -> Mailbox:
    """Every message the web app has sent (addresses are unique per test)."""
    return mail_server[0]


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
    postgres_server: PostgresServer,
    fake_github: tuple[FakeGitHub, str],
    fake_stripe: FakeStripe,
    mail_server: tuple[Mailbox, str],
) -> Iterator[Stack]:
    _, github_url = fake_github
    _, smtp_url = mail_server
    running = Stack.start(
        data_dir=tmp_path_factory.mktemp("web-data"),
        log_dir=ARTIFACTS_DIR / "logs",
        database_url=postgres_server.create_database("e2e"),
        extra_env={
            "ROUTERAI_GITHUB_CLIENT_ID": CLIENT_ID,
            "ROUTERAI_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "ROUTERAI_GITHUB_BASE_URL": github_url,
            "ROUTERAI_GITHUB_API_URL": github_url,
            "ROUTERAI_SMTP_URL": smtp_url,
            "ROUTERAI_METRICS_TOKEN": METRICS_TOKEN,
            **stripe_env(fake_stripe),
        },
    )
    try:
        with live_output(pytestconfig):
            running.wait_until_ready()
        fake_stripe.webhook_url = f"{running.base_url}/webhooks/stripe"
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def web_url(stack: Stack) -> str:
    """Base URL of the running web app; pages and gateway routes share it."""
    return stack.base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


LOCAL_HOSTS = ("127.0.0.1", "localhost")


class WatchedPage:
    """A page that records console errors, uncaught page errors, and any request that
    leaves this machine (every page must work offline: no CDN fonts or scripts)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            self.errors.append(f"external request: {request.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text} ({message.location})")


OpenPage = Callable[..., WatchedPage]
OPEN_CONTEXTS = pytest.StashKey[list[BrowserContext]]()


@pytest.fixture
def open_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[OpenPage]:
    """Open a fresh browser context (its own cookies) with a viewport and color scheme."""
    contexts = request.node.stash[OPEN_CONTEXTS] = []

    def open_(width: int, height: int, color_scheme: ColorScheme = "light") -> WatchedPage:
        viewport: ViewportSize = {"width": width, "height": height}
        context = browser.new_context(
            viewport=viewport,
            color_scheme=color_scheme,
            permissions=["clipboard-read", "clipboard-write"],
        )
        contexts.append(context)
        return WatchedPage(context.new_page())

    yield open_
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a browser test fails, its report says where each page was and what it showed,
    and a screenshot of each lands in test-artifacts/failures."""
    report = yield
    if report.when == "call" and report.failed:
        contexts: list[BrowserContext] = item.stash.get(OPEN_CONTEXTS, [])
        for number, context in enumerate(contexts):
            for page in context.pages:
                report.sections.append(("page at failure", _page_state(item, page, number)))
    return report


def _page_state(item: pytest.Item, page: Page, number: int) -> str:
    failures = ARTIFACTS_DIR / "failures"
    failures.mkdir(parents=True, exist_ok=True)
    shot = failures / f"{item.name}-{number}.png"
    try:
        page.screenshot(path=shot, full_page=True)
        text = page.locator("body").inner_text(timeout=2_000)
    except Exception as exc:  # the page may have crashed or closed: report what is known
        return f"{page.url}\n(unreadable: {exc})"
    return f"{page.url}\nscreenshot: {shot.relative_to(REPO_ROOT)}\n{text[:800]}"


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    path = ARTIFACTS_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
