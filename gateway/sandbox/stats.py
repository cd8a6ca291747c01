"""What reached each simulated provider: request counts and the last few requests.

Tests read these through `/_sandbox/stats` and `/_sandbox/requests` to prove, for
example, that a cached answer never reached a provider or that the gateway forwarded
the parameters it should have. Only the sandbox's event loop touches them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from gateway.pricing.catalog import PROVIDERS

RECENT_LIMIT = 100
_SECRET_HEADERS = frozenset({"authorization", "x-api-key"})


def _mask(name: str, value: str) -> str:
    if name in _SECRET_HEADERS and len(value) > 12:
        return value[:12] + "..."
    return value


class Stats:
    """Request counters per provider and per endpoint, and a short log of recent requests."""

    def __init__(self) -> None:
        self._requests: dict[str, int] = dict.fromkeys(PROVIDERS, 0)
        self._endpoints: dict[str, dict[str, int]] = {p: {} for p in PROVIDERS}
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_LIMIT)

    def record(self, provider: str, endpoint: str) -> None:
        """Count one request to `provider`'s `endpoint` (e.g. "chat.completions")."""
        self._requests[provider] += 1
        per_endpoint = self._endpoints[provider]
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1

    def remember(self, provider: str, path: str, headers: Mapping[str, str], body: object) -> None:
        """Keep one request (headers with secrets shortened, parsed JSON body) in the log."""
        shown = {name: _mask(name, value) for name, value in headers.items()}
        self._recent.append({"provider": provider, "path": path, "headers": shown, "body": body})

    def reset(self) -> None:
        """Zero every counter and forget the logged requests."""
        self._requests = dict.fromkeys(PROVIDERS, 0)
        self._endpoints = {p: {} for p in PROVIDERS}
        self._recent.clear()

    def snapshot(self) -> dict[str, Any]:
        """The counters as plain data: {"total", "requests": {p: n}, "endpoints": {p: {e: n}}}."""
        return {
            "total": sum(self._requests.values()),
            "requests": dict(self._requests),
            "endpoints": {p: dict(e) for p, e in self._endpoints.items()},
        }

    def recent(
        self, provider: str | None = None, limit: int = RECENT_LIMIT
    ) -> list[dict[str, Any]]:
        """The most recent logged requests, oldest first, optionally for one provider."""
        rows = [r for r in self._recent if provider is None or r["provider"] == provider]
        return rows[-limit:] if limit > 0 else []
