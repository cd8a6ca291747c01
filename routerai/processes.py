"""`routerai up` and `routerai worker`: a machine's processes, under one `Supervisor`.

`up` runs every process of the product on embedded defaults: it starts (or joins) the
embedded Redis when REDIS_URL is unset, migrates, seeds the demo organization, then
supervises the sandbox (when no provider credential exists), the worker and the Reflex web
app (which mounts the gateway). Children receive the resolved settings through their
environment. `worker` supervises the ingest consumer, a fast and a slow RQ worker
(`workers.queues`) and RQ's cron scheduler.

A child that dies is started again (see `routerai.supervisor`); only while `up` waits for
the web app's first start does a child's exit end it, with the child's name and code.
Ctrl-C stops everything: the worker's children within `WORKER_GRACE_S`, so that `up`,
which waits `UP_GRACE_S` for its own, stops within 5 s.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import typer

from gateway.settings import Settings
from routerai.supervisor import Child, Supervisor
from workers.queues import FAST_WORKER, SLOW_WORKER

ROOT = Path(__file__).resolve().parents[1]
WORKER_CHILDREN = (
    Child("ingest", ("workers", "ingest")),
    Child("jobs-fast", ("workers", "jobs", *FAST_WORKER)),
    Child("jobs-slow", ("workers", "jobs", *SLOW_WORKER)),
    Child("scheduler", ("workers", "scheduler")),
)
WORKER_GRACE_S = 3.5
UP_GRACE_S = 4.5


class StartupFailed(RuntimeError):
    """`up` could not bring the product up; the message says which part and why."""


def run_up(settings: Settings, *, port: int) -> None:
    from gateway.db.migrate import upgrade
    from routerai import admin

    _interrupt_on_signals()  # until the supervisor takes over: SIGTERM too ends the setup
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["DATABASE_URL"] = _absolute_sqlite(settings.resolved_database_url)
    # Reflex starts 2 x cores + 1 web workers when Redis is configured; one per core
    # serves this machine better (each worker also holds a gateway).
    env.setdefault("GRANIAN_WORKERS", str(os.cpu_count() or 1))
    keep_alive = None
    try:
        if not settings.redis_url:
            from gateway.embedded_redis import start_embedded_redis

            env["REDIS_URL"], keep_alive = start_embedded_redis(settings.embedded_redis_path)
            typer.echo(f"redis     embedded ({settings.embedded_redis_path})")
        upgrade(env["DATABASE_URL"])
        typer.echo("database  migrated")
        children = []
        if settings.sandbox_mode and not settings.sandbox_url:
            sandbox_port = free_port()
            env["ROUTERAI_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}"
            children.append(Child("sandbox", ("routerai", "sandbox", "--port", str(sandbox_port))))
            typer.echo(
                f"providers sandbox mode (no provider credentials): {env['ROUTERAI_SANDBOX_URL']}"
            )
        resolved = Settings(DATABASE_URL=env["DATABASE_URL"], REDIS_URL=env.get("REDIS_URL"))
        org, demo_key = admin.seed_demo(resolved)
        children += [Child("worker", ("routerai", "worker")), _web(port)]
        supervisor = Supervisor(
            children, env=env, cwd=ROOT, redis_url=env.get("REDIS_URL"), grace_s=UP_GRACE_S
        )
        _supervise(supervisor, lambda: _wait_healthy(supervisor, port, org.slug, demo_key))
    except KeyboardInterrupt:
        typer.echo("\nstopped")
    finally:
        del keep_alive


def run_worker(settings: Settings, *, burst: bool) -> None:
    """The ingest consumer, the RQ workers and the scheduler; with `burst`, drain and return."""
    from gateway.embedded_redis import resolve_redis_url

    if burst:
        from workers.runner import run_burst

        run_burst(settings)
        return
    url, keep_alive = resolve_redis_url(settings)
    env = {**os.environ, "REDIS_URL": url}
    if settings.database_url is None:
        env["DATABASE_URL"] = settings.resolved_database_url
    supervisor = Supervisor(
        WORKER_CHILDREN, env=env, cwd=ROOT, redis_url=url, grace_s=WORKER_GRACE_S
    )
    _supervise(supervisor)
    del keep_alive


def _supervise(supervisor: Supervisor, started: Callable[[], None] | None = None) -> None:
    """Start the children, call `started` (if any), and supervise until a stop signal."""
    supervisor.stop_on_signals()
    try:
        supervisor.start()
        if started is not None:
            started()
        supervisor.run()
        typer.echo("\nstopping…")
    finally:
        # A second Ctrl-C must not cut the stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop()


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, even where SIGINT was inherited ignored."""

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


def _web(port: int) -> Child:
    run = ("reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port))
    return Child("web", (*run, "--loglevel", "warning"))


def _wait_healthy(
    supervisor: Supervisor, port: int, slug: str, key: str, timeout_s: float = 900
) -> None:
    """Wait for the web app's first answer, then print the banner. A child that exits
    meanwhile ends `up`: a build that fails would fail again at every restart."""
    typer.echo("web app   building and starting (the first build takes a few minutes)…")
    url = f"http://127.0.0.1:{port}/health"
    deadline = time.monotonic() + timeout_s
    while not supervisor.stopping.is_set():
        if exited := supervisor.exited():
            raise StartupFailed(f"{exited[0]} before the web app first answered")
        if time.monotonic() > deadline:
            raise StartupFailed(f"the web app did not answer on {url} within {timeout_s:.0f}s")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                _banner(port, slug, key)
                return
        except httpx.HTTPError:
            pass
        supervisor.stopping.wait(1)


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
