"""The session cookie: HttpOnly (page scripts never see it), SameSite=Lax, Secure on https.

Only HTTP responses set it (`auth_routes`); event handlers read it from the headers of
the browser's event connection, which carry it like any same-origin request.
"""

from __future__ import annotations

from starlette.responses import Response

from routerai_app.backend import OAUTH_STATE_COOKIE, SESSION_COOKIE


def cookie_value(header: str | None, name: str = SESSION_COOKIE) -> str | None:
    """The value of cookie `name` in a Cookie header, or None."""
    for pair in (header or "").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name and value:
            return value.strip('"')
    return None


def set_session_cookie(response: Response, token: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


def set_oauth_state_cookie(response: Response, state: str, *, secure: bool) -> None:
    response.set_cookie(
        OAUTH_STATE_COOKIE,
        state,
        max_age=600,
        path="/auth/github",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_oauth_state_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        OAUTH_STATE_COOKIE, path="/auth/github", httponly=True, samesite="lax", secure=secure
    )
