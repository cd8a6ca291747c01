"""Running the sandbox: in the foreground (`routerai up`), or in a thread (tests, benchmarks)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn

from gateway.sandbox.app import create_sandbox_app
from gateway.sandbox.config import SandboxConfig
from gateway.sandbox.wire import StreamCut

_SHUTDOWN_GRACE_S = 2
_START_TIMEOUT_S = 10.0


class _DropStreamCuts(logging.Filter):
    """Injected `cut` faults end in an exception on purpose; they are not server errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamCut))


def quiet_stream_cuts() -> None:
    """Keep uvicorn from logging a traceback for every injected stream cut (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropStreamCuts) for f in logger.filters):
        logger.addFilter(_DropStreamCuts())


def serve(host: str = "127.0.0.1", port: int = 8900, latency_ms: int | None = None) -> None:
    """Serve the sandbox until interrupted (blocking). `latency_ms=None`: realistic latencies."""
    app = create_sandbox_app(SandboxConfig(latency_ms=latency_ms))
    quiet_stream_cuts()
    # uvicorn re-raises the interrupt after its graceful shutdown; that is a clean stop here.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            app, host=host, port=port, access_log=False, timeout_graceful_shutdown=_SHUTDOWN_GRACE_S
        )


class BackgroundSandbox:
    """A sandbox server on 127.0.0.1 in a daemon thread; `port=0` picks a free port.

    Use as a context manager, or call `start()` (which returns the base URL) and `stop()`.
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = create_sandbox_app(config or SandboxConfig(latency_ms=0))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        uv_config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=_SHUTDOWN_GRACE_S,
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(target=self._run, name="routerai-sandbox", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> str:
        """Start serving and wait until the server accepts connections; return the base URL."""
        quiet_stream_cuts()
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Ask the server to exit and wait for its thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(_SHUTDOWN_GRACE_S + 5)
        self._socket.close()

    def __enter__(self) -> BackgroundSandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
