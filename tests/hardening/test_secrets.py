"""Secrets: no API key or provider key appears in anything a run produced.

A gateway process (debug logging: more than production's `routerai api` writes; the
access log off, as there) and an ingestion worker run real traffic: a tenant's own provider
key (BYOK), the platform's keys, a provider that refuses a tenant's key, revoked and wrong
keys, a key sent in a query string, upstream failures and a cut stream. Then everything
the run produced is collected (both processes' output, every response's headers and body,
/metrics, every database row, every Redis key and value) and searched for each full key
and each key's secret part. Also: keys are stored hashed, provider keys encrypted (bound
to their organization), secrets compared in constant time.
"""

from __future__ import annotations

import ast
import hashlib
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis
from sqlalchemy import Engine, text

from gateway.credentials.crypto import CredentialDecryptError, SecretBox
from gateway.credentials.store import add_credential
from gateway.db.models import TENANT_TABLES
from gateway.db.sessions import system_session, tenant_session
from gateway.providers.transport import upstream_status_error
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from gateway.tenancy.keys import create_api_key, hash_api_key, parse_api_key, revoke_api_key
from tests.fixtures.servers import free_port
from tests.gateway.conftest import Tenant
from tests.gateway.processes import settings_env
from tests.hardening.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


def _marker(prefix: str) -> str:
    return prefix + secrets.token_hex(20)


@dataclass
class Run:
    """What one run produced: text from every place a secret could end up."""

    places: dict[str, str] = field(default_factory=dict)

    def add(self, place: str, content: Any) -> None:
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        elif not isinstance(content, str):
            content = orjson.dumps(content, default=str).decode()
        self.places[place] = self.places.get(place, "") + content + "\n"

    def found(self, needle: str) -> list[str]:
        return [place for place, content in self.places.items() if needle in content]


@pytest.fixture
def platform_secrets() -> dict[str, str]:
    return {
        "OPENAI_API_KEY": _marker("sk-platform-openai-"),
        "ANTHROPIC_API_KEY": _marker("sk-ant-platform-"),
        "GROQ_API_KEY": _marker("gsk_platform_"),
        "TOGETHER_API_KEY": _marker("together-platform-"),
        "STRIPE_SECRET_KEY": _marker("sk_test_platform_"),
        "STRIPE_WEBHOOK_SECRET": _marker("whsec_platform_"),
        "ROUTERAI_SECRET_KEY": _marker("routerai-deployment-secret-"),
    }


@pytest.fixture
def secret_settings(
    settings_for: Callable[..., Settings], platform_secrets: dict[str, str]
) -> Settings:
    # Stripe's base points at a closed local port: nothing may leave the machine.
    return settings_for(**platform_secrets, STRIPE_API_BASE="http://127.0.0.1:9")


@contextmanager
def logged_process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` with stdout and stderr into `log`; terminated when the block ends."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


@contextmanager
def gateway_process(settings: Settings, log: Path) -> Iterator[str]:
    """The gateway in a process of its own, logging at debug level.

    The access log stays off, as `routerai api` runs it: uvicorn's access log writes each
    request's query string, so a client that puts its key there would find it logged.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "gateway.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "debug",
        "--no-access-log",
    ]
    with logged_process(command, settings_env(settings), log) as process:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url


@dataclass(frozen=True)
class Keys:
    """Every RouterAI and provider key of the run, by name."""

    keys: dict[str, str]

    def needles(self) -> dict[str, str]:
        """Each full key, and each RouterAI key's secret part on its own."""
        found = dict(self.keys)
        for name, key in self.keys.items():
            parsed = parse_api_key(key)
            if parsed is not None:
                found[f"{name} (secret part)"] = parsed.secret
        return found


@pytest.fixture
def tenants(
    engine: Engine,
    make_tenant: Callable[..., Tenant],
    platform_secrets: dict[str, str],
) -> tuple[Tenant, Tenant, Keys]:
    """Acme brings its own OpenAI key; Initech's own key is one the provider refuses."""
    box = SecretBox.from_secret_key(platform_secrets["ROUTERAI_SECRET_KEY"])
    acme, initech = make_tenant("Acme"), make_tenant("Initech")
    byok = {"acme": _marker("sk-acme-own-"), "initech": _marker("sk-invalid-initech-")}
    for tenant, secret in ((acme, byok["acme"]), (initech, byok["initech"])):
        with tenant_session(engine, tenant.org.id) as session:
            add_credential(session, box=box, org_id=tenant.org.id, provider="openai", secret=secret)
    with tenant_session(engine, acme.org.id) as session:
        row, revoked = create_api_key(session, org=acme.org, name="old", environment="prod")
        revoke_api_key(session, org_id=acme.org.id, key_id=row.id)
    keys = {
        "acme's key": acme.key,
        "initech's key": initech.key,
        "acme's revoked key": revoked,
        "acme's own openai key": byok["acme"],
        "initech's own openai key": byok["initech"],
    }
    return acme, initech, Keys(keys)


def serve_traffic(
    url: str, acme: Tenant, initech: Tenant, keys: Keys, sandbox: SandboxControl, run: Run
) -> None:
    wrong = acme.key[:-1] + ("A" if acme.key[-1] != "A" else "B")
    calls: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("POST", "/v1/chat/completions", CHAT, acme.key),
        ("POST", "/v1/chat/completions", {**CHAT, "stream": True}, acme.key),
        ("POST", "/v1/chat/completions", {**CHAT, "model": "claude-sonnet-4"}, acme.key),
        (
            "POST",
            "/v1/chat/completions",
            {**CHAT, "model": "claude-sonnet-4", "stream": True},
            acme.key,
        ),
        ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}, acme.key),
        ("GET", "/v1/models", None, acme.key),
        ("POST", "/v1/chat/completions", CHAT, initech.key),  # the provider refuses its key
        ("POST", "/v1/chat/completions", {**CHAT, "stream": True}, initech.key),
        ("POST", "/v1/chat/completions", CHAT, keys.keys["acme's revoked key"]),
        ("POST", "/v1/chat/completions", CHAT, wrong),
        ("POST", "/v1/chat/completions", {"model": "gpt-4o-mini"}, acme.key),
    ]
    with httpx.Client(base_url=url, timeout=30) as http:
        for method, path, body, key in calls:
            response = http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {key}"}
            )
            run.add("responses", [dict(response.headers), response.text])
        for fault in ("error=500", "cut=2", "error=503@2"):
            sandbox.arm_fault("openai", fault, count=1)
            response = http.post(
                "/v1/chat/completions",
                json={**CHAT, "stream": fault != "error=500"},
                headers={"Authorization": f"Bearer {acme.key}"},
            )
            run.add("responses", [dict(response.headers), response.text])
        # A key sent where it does not belong is refused, and not written down either.
        response = http.post("/v1/chat/completions", json=CHAT, params={"api_key": acme.key})
        run.add("responses", [dict(response.headers), response.text])
        run.add("metrics", http.get("/metrics").text)


def dump_database(engine: Engine, orgs: list[uuid.UUID], run: Run) -> None:
    with system_session(engine) as session:
        for table in ("organizations", "users", "stripe_events"):
            run.add(f"table {table}", _rows(session, table))
    for org_id in orgs:
        with tenant_session(engine, org_id) as session:
            for table in TENANT_TABLES:
                run.add(f"table {table}", _rows(session, table))


def _rows(session: Any, table: str) -> list[Any]:
    return list(session.execute(text(f"SELECT row_to_json(t)::text FROM {table} t")).scalars())


def dump_redis(client: redis.Redis, run: Run) -> None:
    for name in client.scan_iter(count=1000):
        found: Any = client.type(name)
        kind = found.decode()
        value: Any
        if kind == "string":
            value = client.get(name)
        elif kind == "hash":
            value = client.hgetall(name)
        elif kind == "list":
            value = client.lrange(name, 0, -1)
        elif kind == "set":
            value = client.smembers(name)
        elif kind == "zset":
            value = client.zrange(name, 0, -1, withscores=True)
        elif kind == "stream":
            value = client.xrange(name)
        else:
            value = kind
        run.add("redis", [name.decode(), repr(value)])


def test_no_key_appears_in_anything_a_run_produced(
    engine: Engine,
    secret_settings: Settings,
    platform_secrets: dict[str, str],
    tenants: tuple[Tenant, Tenant, Keys],
    sandbox: SandboxControl,
    redis_client: redis.Redis,
    tmp_path: Path,
    ledger: Ledger,
) -> None:
    acme, initech, keys = tenants
    run = Run()
    with gateway_process(secret_settings, tmp_path / "gateway.log") as url:
        serve_traffic(url, acme, initech, keys, sandbox, run)
    worker = [sys.executable, "-m", "workers", "ingest", "--burst"]
    with logged_process(worker, settings_env(secret_settings), tmp_path / "worker.log") as process:
        assert process.wait(timeout=60) == 0
    run.add("gateway output", (tmp_path / "gateway.log").read_bytes())
    run.add("worker output", (tmp_path / "worker.log").read_bytes())
    dump_database(engine, [acme.org.id, initech.org.id], run)
    dump_redis(redis_client, run)

    assert run.places["gateway output"].strip()  # the log was captured
    assert run.places["table request_logs"].count("req_") >= 10  # and the rows ingested
    needles = {**Keys(keys.keys).needles(), **platform_secrets}
    leaks = {name: run.found(needle) for name, needle in needles.items() if run.found(needle)}
    ledger.add("secrets", places_searched=len(run.places), secrets_searched=len(needles))
    ledger.add("secrets", leaks=sum(len(found) for found in leaks.values()))
    assert leaks == {}


def test_keys_are_stored_hashed_and_provider_keys_encrypted_to_their_organization(
    engine: Engine,
    tenants: tuple[Tenant, Tenant, Keys],
    platform_secrets: dict[str, str],
    ledger: Ledger,
) -> None:
    acme, initech, keys = tenants
    with tenant_session(engine, acme.org.id) as session:
        stored = session.execute(
            text("SELECT key_hash FROM api_keys WHERE id = :id"), {"id": uuid.UUID(acme.key_id)}
        ).scalar_one()
        secret = session.execute(
            text("SELECT encrypted_secret FROM provider_credentials WHERE provider = 'openai'")
        ).scalar_one()
    assert stored == hash_api_key(acme.key) == hashlib.sha256(acme.key.encode()).hexdigest()
    own = keys.keys["acme's own openai key"]
    assert own.encode() not in bytes(secret) and own[-12:].encode() not in bytes(secret)
    box = SecretBox.from_secret_key(platform_secrets["ROUTERAI_SECRET_KEY"])
    assert box.decrypt(str(acme.org.id), "openai", bytes(secret)) == own
    # The ciphertext is bound to its organization and provider, and to the deployment's key.
    refused = 0
    for org_id, provider, key_box in (
        (str(initech.org.id), "openai", box),
        (str(acme.org.id), "anthropic", box),
        (str(acme.org.id), "openai", SecretBox.from_secret_key(_marker("another-deployment-"))),
    ):
        with pytest.raises(CredentialDecryptError):
            key_box.decrypt(org_id, provider, bytes(secret))
        refused += 1
    ledger.add("isolation", attempts=refused, refused=refused)


def test_a_provider_refusing_a_key_does_not_relay_its_echo_of_the_key() -> None:
    echo = b'{"error": {"message": "Incorrect API key provided: sk-proj-AbCd***wxyz."}}'
    error = upstream_status_error("openai", 401, echo)
    assert "sk-proj-AbCd" not in error.message


SECRET_NAMES = ("secret", "signature", "digest", "password", "key_hash", "api_key", "token_hash")


def test_secrets_are_compared_in_constant_time_only() -> None:
    """No `==`/`!=` in the product code has a secret-named operand (hmac.compare_digest
    instead); SQL column expressions (`ApiKey.key_hash == …`, an index lookup of a hash)
    are not comparisons in Python."""
    found = []
    for package in ("gateway", "workers", "routerai"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "sandbox" in path.parts:  # the provider simulator is no part of the product
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Compare) and any(
                    isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
                ):
                    sides = (node.left, *node.comparators)
                    if any(map(_sql_column, sides)):  # a WHERE clause, not a comparison
                        continue
                    if any(_secret_name(side) for side in sides):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def _sql_column(node: ast.expr) -> bool:
    """`Model.column` or `col(Model.column)`: SQLAlchemy builds a SQL expression from it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "col":
        return len(node.args) == 1 and _sql_column(node.args[0])
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def _secret_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Name):
        name = node.id
    else:
        return None
    if name.isupper():  # a module constant: a public value (say, the development default)
        return None
    lowered = name.lower()
    return name if any(part in lowered for part in SECRET_NAMES) else None
