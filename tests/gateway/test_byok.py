"""Bring your own key: the organization's key is checked, stored encrypted, and used."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import openai
import pytest
from typer.testing import CliRunner

from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from routerai.cli import app
from tests.gateway.conftest import Tenant

HELLO = [{"role": "user", "content": "Hello"}]


def chat_requests(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return [r for r in sandbox.recent("openai") if r["path"].endswith("/chat/completions")]


def cli(settings: Settings, *args: str, input: str = "") -> tuple[int, str]:
    env = {
        "DATABASE_URL": settings.resolved_database_url,
        "REDIS_URL": settings.redis_url or "",
        "ROUTERAI_SANDBOX_URL": settings.sandbox_url or "",
        "ROUTERAI_ENV": "test",
    }
    result = CliRunner().invoke(app, list(args), env=env, input=input)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_tenants_own_key_is_checked_stored_masked_and_used(
    gateway_settings: Settings, gateway_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    slug = tenant.org.slug
    code, output = cli(
        gateway_settings, "provider-key", "add", slug, "openai", input="sk-tenant-own-key-1234\n"
    )
    assert code == 0, output
    assert "…1234" in output and "sk-tenant-own-key" not in output
    code, listed = cli(gateway_settings, "provider-key", "list", slug)
    assert re.search(r"openai\s+…1234", listed) and "sk-tenant" not in listed

    client = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HELLO)
    assert raw.headers["x-routerai-provider"] == "openai"
    (sent,) = chat_requests(sandbox)
    # The sandbox logs the first 12 characters: the tenant's key, not the platform's.
    assert sent["headers"]["authorization"] == "Bearer sk-te..."


@pytest.mark.parametrize("secret", ["sk-invalid-key-0000", "has spaces in it"])
def test_a_key_the_provider_refuses_is_not_stored(
    gateway_settings: Settings, make_tenant: Callable[..., Tenant], secret: str
) -> None:
    slug = make_tenant().org.slug
    code, output = cli(gateway_settings, "provider-key", "add", slug, "openai", input=f"{secret}\n")
    assert code != 0 and "error:" in output
    assert cli(gateway_settings, "provider-key", "list", slug)[1].startswith("no provider keys")


def test_removing_the_key_goes_back_to_the_platforms(
    gateway_settings: Settings, gateway_url: str, tenant: Tenant, sandbox: SandboxControl
) -> None:
    slug = tenant.org.slug
    cli(gateway_settings, "provider-key", "add", slug, "openai", input="sk-tenant-own-5678\n")
    assert cli(gateway_settings, "provider-key", "remove", slug, "openai")[1].strip() == "removed"
    client = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=tenant.key, max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    (sent,) = chat_requests(sandbox)
    assert sent["headers"]["authorization"] == "Bearer sk-ro..."  # the platform's key
