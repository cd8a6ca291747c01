"""`routerai worker`: the background process. Today it ingests the usage stream."""

from __future__ import annotations

import os
import signal
import socket
from types import FrameType

import redis

from gateway.db.engine import make_engine
from gateway.embedded_redis import resolve_redis_url
from gateway.settings import Settings
from workers.ingest import IngestConfig, ensure_group, ingest_once


class _Stop:
    requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def run(settings: Settings, *, burst: bool = False) -> None:
    """Ingest until SIGTERM/SIGINT (or, with `burst`, until the stream is drained)."""
    url, _embedded = resolve_redis_url(settings)
    client = redis.Redis.from_url(url)
    engine = make_engine(settings.resolved_database_url)
    config = IngestConfig()
    ensure_group(client, config)
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stop.requested:
            written = ingest_once(client, engine, consumer, config, block=not burst)
            if burst and written == 0:
                break
    finally:
        client.close()
        engine.dispose()
