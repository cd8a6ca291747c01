"""The providers page in the browser: an owner adds a provider key and sees it masked; a
benchmark runs on the product's RQ worker while the page shows its progress and results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, OpenPage
from tests.e2e.journeys import create_account, screenshot, sign_in_context
from tests.e2e.server import Stack

pytestmark = pytest.mark.e2e

OWN_KEY = "sk-proj-e2eOwnKey0123456789abcdQRST"


def open_providers(
    stack: Stack, open_page: OpenPage, label: str, org: str
) -> tuple[Page, list[str]]:
    account = create_account(stack.database_url, label, org)
    watched = open_page(*DESKTOP)
    sign_in_context(watched.page.context, stack.base_url, account)
    watched.page.goto(f"{stack.base_url}/dashboard/providers")
    expect(watched.page.locator(".provider-card")).to_have_count(5)
    return watched.page, watched.errors


def test_an_owner_adds_a_provider_key_and_sees_only_its_last_four(
    stack: Stack, open_page: OpenPage, screenshots_dir: Path
) -> None:
    page, errors = open_providers(stack, open_page, "byok", "Bring Your Own")
    openai = page.locator('.provider-card[data-provider="openai"]')
    # Free plan, sandbox mode: the platform's keys serve its two providers (catalogue order).
    expect(page.locator('.provider-card[data-provider="groq"]')).to_contain_text("Platform key")
    expect(openai).to_contain_text("Outside your plan")

    openai.get_by_role("button", name="Add key").click()
    page.locator("#provider-secret").fill("sk-invalid-key-0123456789")
    page.locator("#save-provider-key").click()
    expect(page.locator("#key-dialog-error")).to_contain_text("refused this key")

    page.locator("#provider-secret").fill(OWN_KEY)
    page.locator("#save-provider-key").click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(openai).to_contain_text("Your key")
    expect(openai.locator(".key-mask")).to_have_text("…QRST")
    assert OWN_KEY not in page.content()
    expect(openai.get_by_role("button", name="Replace")).to_be_visible()
    screenshot(page, screenshots_dir, "providers-key-added-desktop")
    assert errors == []


def test_a_benchmark_runs_in_the_background_and_fills_in_its_results(
    stack: Stack, open_page: OpenPage, screenshots_dir: Path
) -> None:
    page, errors = open_providers(stack, open_page, "bench", "Bench Press")
    expect(page.locator("#bench-empty")).to_be_visible()

    for label in ("groq/llama-3.3-70b-versatile", "ollama/llama3.2"):
        page.locator(".bench-target", has_text=label).get_by_role("checkbox").click()
    page.get_by_role("button", name="Greeting").click()
    page.get_by_role("button", name="Reasoning").click()
    page.locator("#run-benchmark").click()

    expect(page.locator("#bench-progress-text")).to_have_text(
        re.compile(r"4 of 4 calls · 100 %"), timeout=60_000
    )
    expect(page.locator("#bench-status")).to_have_text("done")
    expect(page.locator("#bench-results .bench-result")).to_have_count(2)
    expect(page.locator("#bench-results")).to_contain_text("llama-3.3-70b-versatile")
    expect(page.locator(".bench-answer")).to_have_count(4)
    for answer in page.locator(".bench-answer").all():
        expect(answer).not_to_contain_text("Error")
    screenshot(page, screenshots_dir, "providers-benchmark-desktop")

    page.locator(".bench-target", has_text="ollama/llama3.2").get_by_role("checkbox").click()
    page.locator("#run-benchmark").click()  # groq alone, the same two prompts
    expect(page.locator("#bench-progress-text")).to_have_text(
        re.compile(r"2 of 2 calls · 100 %"), timeout=60_000
    )
    page.get_by_role("combobox").filter(has_text="Choose a run").click()
    page.get_by_role("option", name=re.compile("llama-3.3-70b-versatile vs llama3.2")).click()
    compared = page.locator("#bench-compare .bench-compared")
    expect(compared).to_have_count(2)  # groq in both runs, ollama in the earlier one only
    expect(compared.filter(has_text="groq/llama-3.3-70b-versatile")).to_contain_text(
        re.compile(r"\d+ ms\s*was \d+ ms")
    )
    expect(compared.filter(has_text="ollama/llama3.2")).to_contain_text(re.compile(r"—\s*was "))
    screenshot(page, screenshots_dir, "providers-benchmark-compare-desktop")
    assert errors == []
