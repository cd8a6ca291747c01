"""Tenant-supplied URLs never reach the gateway's own network (SSRF): the check, the guarded
HTTP clients (redirects re-checked, the checked address pinned), and the two places that
send to such URLs: budget-alert webhooks and provider-key checks.

Nothing here connects anywhere but 127.0.0.1: names resolve through a fake resolver, and
requests to public addresses stop at a mock transport.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.analytics.webhooks import Outcome, WebhookDeliveryError
from gateway.credentials.check import (
    CredentialAddressRefused,
    CredentialUnverified,
    check_credential,
)
from gateway.db.models import BudgetAlert, Organization
from gateway.db.sessions import system_session, tenant_session
from gateway.sandbox.control_client import SandboxControl
from gateway.security.http import (
    AsyncGuardedTransport,
    BlockedRequest,
    GuardedTransport,
)
from gateway.security.probe import guarded_probe
from gateway.security.urls import (
    UnresolvableHost,
    UnsafeURL,
    check_outbound_url,
    system_resolver,
)
from gateway.settings import Settings
from tests.analytics.conftest import WebhookReceiver, add_alert
from tests.hardening.ledger import Ledger
from workers import jobs
from workers.context import JobContext

PUBLIC = "93.184.216.34"  # documentation-style public address; never contacted here
NAMES = {
    "hooks.example": [PUBLIC],
    "v6.example": ["2606:4700::1111"],
    "mixed.example": [PUBLIC, "10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "loopback.example": ["127.0.0.1"],
    "v6-loopback.example": ["::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "ula.example": ["fd00:ec2::254"],
}


def fake_resolver(host: str, port: int) -> Sequence[str]:
    if host in NAMES:
        return NAMES[host]
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        raise OSError(f"no such host {host}") from None


REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f.0.0.1/hook",
    "http://017700000001/hook",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://localhost:6379/",
    "http://LOCALHOST/",
    "http://mixed.example/",
    "http://metadata.example/",
    "http://loopback.example/",
    "http://v6-loopback.example/",
    "http://mapped.example/",
    "http://ula.example/",
    "http://hooks.example@127.0.0.1/",
    "http://user:password@hooks.example/",
    "ftp://hooks.example/",
    "file:///etc/passwd",
    "gopher://hooks.example/",
    "javascript:alert(1)",
    "http:///hook",
    "http://hooks.example:99999/",
    "http://hooks .example/",
    "http://hooks.example\\@127.0.0.1/",
    "http://hooks.example/\r\nHost: internal",
]


def resolve_locally(host: str, port: int) -> Sequence[str]:
    """The fake names above; IP literals and `localhost` through the system (local only)."""
    if host in NAMES:
        return NAMES[host]
    return system_resolver(host, port)


@pytest.mark.parametrize("url", REFUSED)
def test_urls_reaching_internal_addresses_or_other_schemes_are_refused(
    url: str, ledger: Ledger
) -> None:
    with pytest.raises(UnsafeURL):
        check_outbound_url(url, resolve=resolve_locally)
    ledger.add("ssrf", attempts=1, refused=1)


@pytest.mark.parametrize("url", ["http://hooks.example/hook", "https://v6.example:8443/x?y=1"])
def test_public_urls_are_allowed(url: str) -> None:
    target = check_outbound_url(url, resolve=fake_resolver)
    assert all(address.is_global for address in target.addresses)


def test_a_host_that_does_not_resolve_is_refused_as_unresolvable() -> None:
    with pytest.raises(UnresolvableHost):
        check_outbound_url("http://nowhere.example/", resolve=fake_resolver)


def test_allowing_private_addresses_keeps_the_scheme_and_shape_checks() -> None:
    check_outbound_url("http://127.0.0.1:8080/hook", allow_private=True)
    for url in ("ftp://127.0.0.1/", "http://u:p@127.0.0.1/", "file:///etc/passwd"):
        with pytest.raises(UnsafeURL):
            check_outbound_url(url, allow_private=True)


class Upstream:
    """A mock transport standing for whatever answers at the pinned address."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.seen: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answer(request)


def redirecting_to(location: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(302, headers={"location": location})


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://metadata.example/",
        "http://127.0.0.1:6379/",
        "http://[::ffff:10.0.0.1]/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused_before_it_is_followed(
    location: str, ledger: Ledger
) -> None:
    upstream = Upstream(redirecting_to(location))
    transport = GuardedTransport(resolve=fake_resolver, inner=httpx.MockTransport(upstream))
    with (
        httpx.Client(transport=transport, follow_redirects=True) as client,
        pytest.raises((BlockedRequest, httpx.UnsupportedProtocol)),
    ):
        client.post("http://hooks.example/hook", content=b"{}")
    assert len(upstream.seen) == 1  # the first hop only
    ledger.add("ssrf", attempts=1, refused=1)


async def test_the_async_client_re_checks_redirects_too(ledger: Ledger) -> None:
    upstream = Upstream(redirecting_to("http://169.254.169.254/"))
    transport = AsyncGuardedTransport(resolve=fake_resolver, inner=httpx.MockTransport(upstream))
    async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
        with pytest.raises(BlockedRequest):
            await client.get("http://hooks.example/")
    assert len(upstream.seen) == 1
    ledger.add("ssrf", attempts=1, refused=1)


def test_the_connection_goes_to_the_address_checked_whatever_the_name_resolves_to_next(
    ledger: Ledger,
) -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"]])  # a rebinding name: public, then loopback

    def rebinding(host: str, port: int) -> Sequence[str]:
        return next(answers)

    upstream = Upstream(lambda request: httpx.Response(204))
    transport = GuardedTransport(resolve=rebinding, inner=httpx.MockTransport(upstream))
    with httpx.Client(transport=transport) as client:
        client.post("https://rebind.example:8443/hook?a=1", content=b"{}")
    [sent] = upstream.seen
    assert (sent.url.host, sent.url.port, sent.url.query) == (PUBLIC, 8443, b"a=1")
    assert sent.headers["host"] == "rebind.example:8443"
    assert sent.extensions["sni_hostname"] == "rebind.example"  # TLS checks the real name
    ledger.add("ssrf", attempts=1, refused=1)


# -- the webhook sender ---------------------------------------------------------------------


def org_with_webhook(engine: Engine, make_org: Callable[..., Organization], url: str) -> Any:
    org = make_org(plan="growth")
    with system_session(engine) as session:
        org.notification_webhook_url = url
        org.monthly_token_budget = 1000
        session.add(org)
    return org, add_alert(engine, org)


def deliver(engine: Engine, client: redis.Redis, settings: Settings, alert: BudgetAlert) -> str:
    context = JobContext(settings, engine, client)
    return jobs.deliver_budget_alert_with(context, alert.id or 0, str(alert.org_id))


@pytest.mark.parametrize(
    "url",
    [
        "{receiver}",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:6379/",
        "http://0.0.0.0:9/",
    ],
)
def test_budget_alert_webhooks_to_internal_addresses_are_blocked_and_not_retried(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
    ledger: Ledger,
    url: str,
) -> None:
    settings = Settings(ROUTERAI_ENV="test")  # ROUTERAI_ALLOW_PRIVATE_WEBHOOKS unset: off
    org, alert = org_with_webhook(engine, make_org, url.format(receiver=webhook_receiver.url))

    assert deliver(engine, redis_client, settings, alert) == Outcome.BLOCKED.value

    assert webhook_receiver.received == []
    with tenant_session(engine, org.id) as session:
        stored = session.exec(select(BudgetAlert).where(BudgetAlert.id == alert.id)).one()
    assert (stored.attempts, stored.delivered_at) == (1, None)  # counted: the sweep leaves it
    ledger.add("ssrf", attempts=1, refused=1)


def test_the_explicit_setting_lets_webhooks_reach_a_private_receiver(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
) -> None:
    settings = Settings(ROUTERAI_ENV="test", ROUTERAI_ALLOW_PRIVATE_WEBHOOKS=True)
    _, alert = org_with_webhook(engine, make_org, webhook_receiver.url)
    assert deliver(engine, redis_client, settings, alert) == Outcome.DELIVERED.value
    assert len(webhook_receiver.received) == 1


def test_a_webhook_that_redirects_is_not_followed(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
) -> None:
    settings = Settings(ROUTERAI_ENV="test", ROUTERAI_ALLOW_PRIVATE_WEBHOOKS=True)
    redirect = webhook_receiver.url.replace("/hook", "/redirect")
    _, alert = org_with_webhook(engine, make_org, redirect)
    with pytest.raises(WebhookDeliveryError):
        deliver(engine, redis_client, settings, alert)
    assert webhook_receiver.received == []  # /redirect is not a route: 404, nothing followed


# -- provider-key checks --------------------------------------------------------------------


async def test_a_key_check_against_an_internal_address_is_refused_before_sending(
    sandbox: SandboxControl, ledger: Ledger
) -> None:
    for base in ("http://169.254.169.254", f"{sandbox.url}/openai", "http://[::1]:11434"):
        probe = guarded_probe(lambda provider, base=base: base)  # type: ignore[misc]
        with pytest.raises(CredentialAddressRefused):
            await check_credential("openai", "sk-0123456789abcdef", call=probe)
        ledger.add("ssrf", attempts=1, refused=1)
    assert sandbox.stats()["endpoints"]["openai"] == {}  # nothing reached the sandbox


async def test_a_key_check_through_the_guarded_probe_still_reaches_an_allowed_provider(
    sandbox: SandboxControl,
) -> None:
    probe = guarded_probe(lambda provider: f"{sandbox.url}/{provider}", allow_private=True)
    await check_credential("groq", "gsk-good-key-0123456789", call=probe)
    unreachable = guarded_probe(lambda provider: "http://127.0.0.1:9", allow_private=True)
    with pytest.raises(CredentialUnverified):
        await check_credential("openai", "sk-0123456789abcdef", call=unreachable)
