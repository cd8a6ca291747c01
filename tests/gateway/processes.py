"""Gateway processes of their own (uvicorn subprocesses), for cross-process guarantees."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from gateway.settings import Settings
from tests.fixtures.servers import free_port


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a child process needs to read the same settings."""
    env = dict(os.environ)
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None or field.alias is None:
            continue
        secret = getattr(value, "get_secret_value", None)
        env[field.alias] = str(secret() if secret else value)
    return env


@contextmanager
def gateway_process(settings: Settings, *, log: Path | None = None) -> Iterator[str]:
    """A gateway process (uvicorn, log level warning); its output goes to `log` if given."""
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
        "warning",
    ]
    output = log.open("wb") if log is not None else None
    process = subprocess.Popen(
        command,
        env=settings_env(settings),
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the gateway process did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        if output is not None:
            output.close()


@contextmanager
def gateway_processes(settings: Settings, count: int = 2) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(gateway_process(settings)) for _ in range(count)]
