"""Outbound-request safety: tenant-supplied URLs never reach the gateway's own network.

- `urls.check_outbound_url`: the pure-policy check (scheme, shape, every resolved address
  public), raising `UnsafeURL`.
- `http.guarded_client` / `http.guarded_async_client`: httpx clients that run the check on
  every request and redirect hop and connect to the address they checked.
"""

from gateway.security.urls import UnresolvableHost, UnsafeURL, check_outbound_url

__all__ = ["UnresolvableHost", "UnsafeURL", "check_outbound_url"]
