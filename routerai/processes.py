"""`routerai up`: every process of the product on one machine, on embedded defaults.

Starts (or joins) the embedded Redis when REDIS_URL is unset, migrates, seeds
the demo organization, starts the sandbox when no provider credential exists,
then the worker and the Reflex web app (which mounts the gateway), and stops
them all on Ctrl-C or when any of them dies. Children receive the resolved
settings through their environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer

from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def run_up(settings: Settings, *, port: int) -> None:
    from gateway.db.migrate import upgrade
    from routerai import admin

    _stop_on_signals()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["DATABASE_URL"] = _absolute_sqlite(settings.resolved_database_url)
    # Reflex starts 2 x cores + 1 web workers when Redis is configured; one per core
    # serves this machine better (each worker also holds a gateway).
    env.setdefault("GRANIAN_WORKERS", str(os.cpu_count() or 1))
    keep_alive = None
    if not settings.redis_url:
        from gateway.embedded_redis import start_embedded_redis

        env["REDIS_URL"], keep_alive = start_embedded_redis(settings.embedded_redis_path)
        typer.echo(f"redis     embedded ({settings.embedded_redis_path})")
    upgrade(env["DATABASE_URL"])
    typer.echo("database  migrated")
    children: list[subprocess.Popen[bytes]] = []
    try:
        if settings.sandbox_mode and not settings.sandbox_url:
            sandbox_port = free_port()
            env["ROUTERAI_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}"
            children.append(_spawn(["sandbox", "--port", str(sandbox_port)], env))
            typer.echo(
                f"providers sandbox mode (no provider credentials): {env['ROUTERAI_SANDBOX_URL']}"
            )
        resolved = Settings(DATABASE_URL=env["DATABASE_URL"], REDIS_URL=env.get("REDIS_URL"))
        org, demo_key = admin.seed_demo(resolved)
        children.append(_spawn(["worker"], env))
        children.append(_web(env, port))
        _wait_healthy(f"http://127.0.0.1:{port}/health", children)
        _banner(port, org.slug, demo_key)
        _supervise(children)
    except KeyboardInterrupt:
        typer.echo("\nstopping…")
    finally:
        _stop(children)
        del keep_alive


def run_worker(settings: Settings, *, burst: bool) -> None:
    """The ingest consumer, the RQ workers and the scheduler (`workers.supervisor`)."""
    from workers.supervisor import run

    run(settings, burst=burst)


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop everything, even where SIGINT was inherited as ignored."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _absolute_sqlite(url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str((Path.cwd() / url[len(prefix) :]).resolve())
    return url


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "routerai", *args]
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


def _web(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(port),
        "--loglevel",
        "warning",
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


def _wait_healthy(
    url: str, children: list[subprocess.Popen[bytes]], timeout_s: float = 900
) -> None:
    typer.echo("web app   building and starting (the first build takes a few minutes)…")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _check_alive(children)
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the web app did not answer on {url} within {timeout_s:.0f}s")


def _check_alive(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is not None:
            command = child.args if isinstance(child.args, list) else [child.args]
            name = " ".join(str(part) for part in command[2:4])
            raise RuntimeError(f"{name} exited with code {child.returncode}")


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    while True:
        _check_alive(children)
        time.sleep(0.5)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)


def _banner(port: int, slug: str, key: str) -> None:
    base = f"http://localhost:{port}"
    typer.secho(f"\nRouterAI is running at {base}", fg=typer.colors.GREEN, bold=True)
    typer.echo(f"""
Demo organization '{slug}'. Its API key (new at every start; the previous one is revoked):

    {key}

Try it with the OpenAI Python SDK:

    from openai import OpenAI
    client = OpenAI(base_url="{base}/v1", api_key="{key}")
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{{"role": "user", "content": "Hello!"}}])
    print(reply.choices[0].message.content)

Health: {base}/health    Press Ctrl-C to stop everything.
""")
