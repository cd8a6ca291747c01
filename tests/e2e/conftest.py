"""Fixtures for browser tests: the real web app on one port, and headless Chromium.

The web app is started once per session with `reflex run --env prod --single-port`
on a free port, with its database and data directory in a temporary folder.
Chromium is Debian's (`/usr/bin/chromium`); Playwright cannot download its own here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    sync_playwright,
)

from tests.e2e.server import REPO_ROOT, WebServer

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
def web_url(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of the running web app; pages and gateway routes share it."""
    server = WebServer.start(
        tmp_path_factory.mktemp("web-data"), ARTIFACTS_DIR / "logs" / "reflex-run.log"
    )
    try:
        with live_output(pytestconfig):
            server.wait_until_ready()
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class WatchedPage:
    """A page that records console errors and uncaught page errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text} ({message.location})")


OpenPage = Callable[..., WatchedPage]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """Open a fresh browser context with the given viewport and color scheme."""
    contexts: list[BrowserContext] = []

    def open_(width: int, height: int, color_scheme: ColorScheme = "light") -> WatchedPage:
        viewport: ViewportSize = {"width": width, "height": height}
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
        contexts.append(context)
        return WatchedPage(context.new_page())

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    path = ARTIFACTS_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
