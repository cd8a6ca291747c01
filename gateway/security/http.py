"""HTTP clients for tenant-supplied URLs: every request, redirects included, checked and pinned.

`guarded_client()` / `guarded_async_client()` are httpx clients whose transport runs
`check_outbound_url` on each request it is handed. httpx hands the transport every hop of
a redirect chain as a request of its own, so a public URL that redirects to 169.254.169.254
is refused at the second hop. The transport then connects to the very address it checked
(the URL's host is swapped for that address; the `Host` header and, for https, the TLS
server name and certificate check keep the original name), so a name that resolves to a
public address for the check and to a private one for the connection (DNS rebinding)
reaches nothing. A refused request raises `BlockedRequest`, an `httpx.TransportError`:
callers that handle "could not connect" already handle it (a host that does not resolve
raises `httpx.ConnectError`, as it would without the guard).

Proxies from the environment are ignored (`trust_env=False`): through a proxy, the address
checked would not be the one connected to.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from gateway.security.urls import (
    IPAddress,
    Resolver,
    Target,
    UnresolvableHost,
    UnsafeURL,
    check_outbound_url,
    system_resolver,
)


class BlockedRequest(httpx.TransportError):
    """The request's URL (or a redirect's) reaches an address RouterAI must not."""


class GuardedTransport(httpx.BaseTransport):
    """Checks and pins each request, then hands it to `inner` (a plain HTTPTransport)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolver = system_resolver,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = _check(request, self._allow_private, self._resolve)
        return self._inner.handle_request(pinned(request, target.addresses[0]))

    def close(self) -> None:
        self._inner.close()


class AsyncGuardedTransport(httpx.AsyncBaseTransport):
    """The asynchronous twin of `GuardedTransport` (resolution runs in a worker thread)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolver = system_resolver,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = await asyncio.to_thread(_check, request, self._allow_private, self._resolve)
        return await self._inner.handle_async_request(pinned(request, target.addresses[0]))

    async def aclose(self) -> None:
        await self._inner.aclose()


def guarded_client(
    *, allow_private: bool = False, resolve: Resolver = system_resolver, **options: Any
) -> httpx.Client:
    """An httpx.Client for tenant-supplied URLs (options as httpx.Client's, but transport)."""
    transport = GuardedTransport(allow_private=allow_private, resolve=resolve)
    return httpx.Client(transport=transport, trust_env=False, **options)


def guarded_async_client(
    *, allow_private: bool = False, resolve: Resolver = system_resolver, **options: Any
) -> httpx.AsyncClient:
    """An httpx.AsyncClient for tenant-supplied URLs."""
    transport = AsyncGuardedTransport(allow_private=allow_private, resolve=resolve)
    return httpx.AsyncClient(transport=transport, trust_env=False, **options)


def pinned(request: httpx.Request, address: IPAddress) -> httpx.Request:
    """`request` sent to `address`, still naming its host in `Host` and in TLS."""
    host = request.url.host
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions.setdefault("sni_hostname", host)
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,  # carries Host: the original name
        stream=request.stream,
        extensions=extensions,
    )


def _check(request: httpx.Request, allow_private: bool, resolve: Resolver) -> Target:
    try:
        return check_outbound_url(str(request.url), allow_private=allow_private, resolve=resolve)
    except UnresolvableHost as exc:  # as when connecting to it: nothing there to refuse
        raise httpx.ConnectError(str(exc), request=request) from exc
    except UnsafeURL as exc:
        raise BlockedRequest(str(exc), request=request) from exc
