"""What every page response and the event socket get before Reflex sees them.

- Security headers on every response of the web app (pages, sign-in routes): no framing
  (clickjacking), no MIME sniffing, no referrer beyond the origin, no camera, microphone
  or location, and HSTS when the site is served over https. The gateway's API responses
  are left as the gateway makes them.
- The event socket (`/_event`) carries the session cookie, and Reflex's socket server
  admits any origin: a page on another site could otherwise open it in a signed-in
  visitor's browser and call the dashboard's events as them (cross-site WebSocket
  hijacking). A handshake whose `Origin` is neither this request's own host nor the
  configured public URL is refused before it reaches Reflex.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENT_PATH = "/_event"
PAGE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'; base-uri 'self'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercased; "" when it has none."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


class WebSecurity:
    """ASGI middleware in front of the web app (not the gateway's API)."""

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self._app = app
        self._public_origin = origin_of(public_url)
        self._headers = PAGE_HEADERS + ((HSTS,) if public_url.startswith("https://") else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        if scope["path"].startswith(EVENT_PATH) and not self._same_site(scope):
            await self._refuse(scope, send)
            return
        if scope["type"] == "websocket":
            await self._app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [header for header in self._headers if header[0] not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self._app(scope, receive, with_headers)

    def _same_site(self, scope: Scope) -> bool:
        """True unless the request says it comes from a page of another origin."""
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1").lower()
        if not origin:
            return True  # not sent by a browser page (browsers always send it on handshakes)
        host = headers.get(b"host", b"").decode("latin-1").lower()
        own = {self._public_origin} | {f"{scheme}://{host}" for scheme in ("http", "https")}
        return origin in own

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": b"cross-origin request refused"})
