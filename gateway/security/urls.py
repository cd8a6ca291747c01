"""Outbound URLs a tenant supplies: refuse any that would reach the gateway's own network.

A tenant can make RouterAI send requests to an address of its choosing (a notification
webhook; later, a self-hosted Ollama). Without a check, that is a way into whatever the
gateway's machine can reach: its loopback services (Redis, PostgreSQL, the sandbox), the
private network behind it, or a cloud metadata endpoint holding credentials.

`check_outbound_url` allows `http` and `https` URLs whose host resolves only to public
(globally routable) unicast addresses; it resolves the name and checks *every* address,
since a name can carry a public and a private one. IP literals go through the same
resolver, so the spellings that reach 127.0.0.1 without looking like it (`2130706433`,
`0x7f.1`, `127.1`, `[::ffff:127.0.0.1]`) are caught too. The check alone does not stop a
name that resolves differently a moment later (DNS rebinding), nor a redirect to a private
address: `gateway.security.http` closes both by connecting to the address it checked and
checking again before every redirect.

`allow_private=True` switches the address check off (the scheme and shape checks stay):
tests that deliver to 127.0.0.1, and deployments whose webhook receivers live on their
own private network, turn it on through `ROUTERAI_ALLOW_PRIVATE_WEBHOOKS`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Sequence[str]]
"""(host, port) → every address the host resolves to, as text. Raises OSError on failure."""

ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# IPv6 prefixes that embed an IPv4 address: the embedded one decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL is malformed, uses another scheme, or reaches an address RouterAI must not."""


class UnresolvableHost(UnsafeURL):
    """The host did not resolve: nothing can be checked, so nothing is sent (maybe transient)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: where to connect (every address passed the check)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo), TCP addresses only."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_outbound_url(
    url: str, *, allow_private: bool = False, resolve: Resolver = system_resolver
) -> Target:
    """The URL's target when RouterAI may send a request there; raises UnsafeURL otherwise."""
    scheme, host, port = _split(url)
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHost(f"the host {host!r} could not be resolved") from exc
    addresses = tuple(dict.fromkeys(_address(text) for text in found))
    if not addresses:
        raise UnresolvableHost(f"the host {host!r} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeURL(
                    f"the host {host!r} resolves to {address}, an address that is not public"
                )
    return Target(scheme, host, port, addresses)


def is_public_address(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, shared, reserved, …"""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not address.is_multicast


def _split(url: str) -> tuple[str, str, int]:
    if not isinstance(url, str) or any(ord(c) < 0x21 or c == "\\" for c in url):
        raise UnsafeURL("the URL holds spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"the URL could not be read: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"only http and https URLs are allowed, not {scheme or 'none'!r}")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("the URL must not carry a user name or password")
    host = parts.hostname
    if not host:
        raise UnsafeURL("the URL has no host")
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def _address(text: str) -> IPAddress:
    # getaddrinfo may append a scope to link-local IPv6 addresses (fe80::1%eth0).
    return ipaddress.ip_address(text.split("%", 1)[0])
