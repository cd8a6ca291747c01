"""The sandbox's own control endpoints under /_sandbox: faults, stats, recent requests.

- `POST /_sandbox/faults` `{"provider": "groq" | "*", "fault": "error=503", "count": 2 | null}`
  arms a fault for a provider's next `count` requests (null: until cleared).
- `GET /_sandbox/faults` lists the armed faults; `DELETE /_sandbox/faults` clears them
  all, or one provider's with `?provider=groq`.
- `GET /_sandbox/stats` counts requests per provider and endpoint; `POST /_sandbox/reset`
  zeroes the counts and forgets the logged requests.
- `GET /_sandbox/requests?provider=groq&limit=10` shows the last requests received.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.routing import Route

from gateway.pricing.catalog import PROVIDERS
from gateway.sandbox.endpoint import SandboxState
from gateway.sandbox.faults import ALL_PROVIDERS, FaultSyntaxError
from gateway.sandbox.wire import WireResponse


def _json(payload: Any, status: int = 200) -> WireResponse:
    return WireResponse([orjson.dumps(payload)], status=status)


def _bad(message: str) -> WireResponse:
    return _json({"error": message}, 400)


def _valid_provider(provider: Any) -> bool:
    return provider == ALL_PROVIDERS or provider in PROVIDERS


class ControlAPI:
    """The /_sandbox endpoints, acting on one sandbox's state."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    async def arm_fault(self, request: Request) -> WireResponse:
        """POST /_sandbox/faults."""
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _bad("the body must be JSON")
        if not isinstance(body, dict) or not _valid_provider(body.get("provider")):
            return _bad(f"provider must be one of {[*PROVIDERS, ALL_PROVIDERS]}")
        count = body.get("count")
        valid_count = count is None or (isinstance(count, int) and not isinstance(count, bool))
        if not isinstance(body.get("fault"), str) or not valid_count:
            return _bad("fault must be a string and count an integer or null")
        try:
            self._state.faults.arm(body["provider"], body["fault"], count)
        except FaultSyntaxError as exc:
            return _bad(str(exc))
        return _json({"provider": body["provider"], "fault": body["fault"], "count": count})

    async def list_faults(self, request: Request) -> WireResponse:
        """GET /_sandbox/faults."""
        return _json(self._state.faults.snapshot())

    async def clear_faults(self, request: Request) -> WireResponse:
        """DELETE /_sandbox/faults[?provider=...]."""
        provider = request.query_params.get("provider")
        if provider is not None and not _valid_provider(provider):
            return _bad(f"unknown provider {provider!r}")
        self._state.faults.clear(provider)
        return _json(self._state.faults.snapshot())

    async def stats(self, request: Request) -> WireResponse:
        """GET /_sandbox/stats."""
        return _json(self._state.stats.snapshot())

    async def reset(self, request: Request) -> WireResponse:
        """POST /_sandbox/reset."""
        self._state.stats.reset()
        return _json(self._state.stats.snapshot())

    async def recent(self, request: Request) -> WireResponse:
        """GET /_sandbox/requests[?provider=...&limit=...]."""
        provider = request.query_params.get("provider")
        limit = request.query_params.get("limit", "100")
        if not limit.isdigit():
            return _bad("limit must be a non-negative integer")
        return _json(self._state.stats.recent(provider, int(limit)))


def control_routes(state: SandboxState) -> list[Route]:
    """The /_sandbox routes acting on `state`."""
    api = ControlAPI(state)
    return [
        Route("/_sandbox/faults", api.arm_fault, methods=["POST"]),
        Route("/_sandbox/faults", api.list_faults, methods=["GET"]),
        Route("/_sandbox/faults", api.clear_faults, methods=["DELETE"]),
        Route("/_sandbox/stats", api.stats, methods=["GET"]),
        Route("/_sandbox/reset", api.reset, methods=["POST"]),
        Route("/_sandbox/requests", api.recent, methods=["GET"]),
    ]
