"""Running the sandbox: configured latency, in-process use, the background server, `serve()`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import httpx2
import openai
import pytest

from gateway.sandbox import BackgroundSandbox, ProviderLatency, SandboxConfig, create_sandbox_app
from tests.sandbox.shapes import HELLO

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_configured_latency_applies_to_every_provider() -> None:
    with BackgroundSandbox(SandboxConfig(latency_ms=300)) as server:
        started = time.perf_counter()
        response = httpx.post(
            f"{server.url}/anthropic/v1/messages",
            json={"model": "claude-sonnet-4-0", "max_tokens": 5, "messages": HELLO},
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
        )
        elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed >= 0.29


def test_per_token_delay_spaces_out_streamed_chunks() -> None:
    config = SandboxConfig(latency_ms=0, provider_latency={"groq": ProviderLatency(0, 20)})
    with BackgroundSandbox(config) as server:
        client = openai.OpenAI(base_url=f"{server.url}/groq/v1", api_key="k", max_retries=0)
        started = time.perf_counter()
        arrivals = [
            time.perf_counter() - started
            for _ in client.chat.completions.create(
                model="llama-3.1-8b-instant",
                messages=HELLO,
                stream=True,
            )
        ]

    assert len(arrivals) > 5
    assert arrivals[-1] >= (len(arrivals) - 1) * 0.019
    assert arrivals[-1] - arrivals[0] >= 0.1


async def test_realistic_default_latency_in_process() -> None:
    app = create_sandbox_app()
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport) as http_client:
        client = openai.AsyncOpenAI(
            base_url="http://sandbox/groq/v1",
            api_key="k",
            max_retries=0,
            http_client=http_client,
        )
        started = time.perf_counter()
        completion = await client.chat.completions.create(
            model="llama-3.3-70b-versatile",
            messages=HELLO,
        )
        elapsed = time.perf_counter() - started

    assert completion.choices[0].message.content
    assert elapsed >= 0.08
    assert app.state.sandbox.stats.snapshot()["requests"]["groq"] == 1


def test_apps_do_not_share_state() -> None:
    first, second = create_sandbox_app(), create_sandbox_app()
    first.state.sandbox.faults.arm("groq", "hang", None)

    assert second.state.sandbox.faults.snapshot() == {}


def test_stopped_background_server_refuses_connections() -> None:
    server = BackgroundSandbox()
    url = server.start()
    assert httpx.get(f"{url}/ollama/api/version").status_code == 200

    server.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ollama/api/version", timeout=2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("serve() did not start")


def test_serve_runs_until_interrupted_and_stops_cleanly() -> None:
    port = _free_port()
    code = f"from gateway.sandbox import serve; serve(port={port}, latency_ms=0)"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/ollama/", process)
        tags = httpx.get(f"http://127.0.0.1:{port}/ollama/api/tags").json()
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()

    assert tags["models"]
    assert returncode == 0
