"""A small client for a running sandbox's /_sandbox control endpoints (tests, benchmarks, CLI)."""

from __future__ import annotations

from typing import Any

import httpx


class SandboxControl:
    """Arm and clear faults, read and reset counters of the sandbox at `url`.

    Holds one HTTP connection pool; `close()` it (or use it as a context manager).
    """

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.url}/_sandbox", timeout=timeout_s)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def arm_fault(self, provider: str, fault: str, count: int | None = None) -> None:
        """Break `provider`'s next `count` requests (None: until cleared) with `fault`."""
        self._call("POST", "/faults", json={"provider": provider, "fault": fault, "count": count})

    def faults(self) -> dict[str, Any]:
        """The armed faults: {provider: {"fault": text, "remaining": n | None}}."""
        result: dict[str, Any] = self._call("GET", "/faults")
        return result

    def clear_faults(self, provider: str | None = None) -> None:
        """Disarm one provider's fault, or all of them."""
        params = {"provider": provider} if provider else None
        self._call("DELETE", "/faults", params=params)

    def stats(self) -> dict[str, Any]:
        """{"total": n, "requests": {provider: n}, "endpoints": {provider: {endpoint: n}}}."""
        result: dict[str, Any] = self._call("GET", "/stats")
        return result

    def requests_to(self, provider: str) -> int:
        """How many requests reached `provider` since the last reset."""
        return int(self.stats()["requests"][provider])

    def recent(self, provider: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The last requests received (headers with secrets shortened, JSON body)."""
        params: dict[str, Any] = {"limit": limit}
        if provider:
            params["provider"] = provider
        result: list[dict[str, Any]] = self._call("GET", "/requests", params=params)
        return result

    def reset(self) -> None:
        """Clear every fault, zero the counters and forget the logged requests."""
        self.clear_faults()
        self._call("POST", "/reset")
