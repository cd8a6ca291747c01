"""The HTTP side of signing in and out: the only responses that set the session cookie.

- `GET /auth/session?code=…&next=…` swaps a single-use hand-off code (made by a sign-in
  or sign-up event handler) for the HttpOnly session cookie, then redirects to `next`.
  Only a navigation started by one of the app's own pages may use it
  (`Sec-Fetch-Site: same-origin`), so a link from elsewhere cannot sign a visitor in to
  someone else's account.
- `GET /logout` ends the server-side session, clears the cookie, and goes to /login;
  only from the app's own pages or a typed address (`Sec-Fetch-Site` same-origin or
  none), so another site cannot sign a visitor out through a link or an image.
- `GET /auth/github` and `GET /auth/github/callback`: GitHub's authorization-code flow,
  its `state` kept in a short-lived HttpOnly cookie and compared on return.
"""

from __future__ import annotations

import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.auth.accounts import GitHubAccountConflict
from gateway.auth.github import GitHubSignInError, new_state
from routerai_app.backend import OAUTH_STATE_COOKIE, SESSION_COOKIE, services
from routerai_app.cookies import (
    clear_oauth_state_cookie,
    clear_session_cookie,
    set_oauth_state_cookie,
    set_session_cookie,
)

AUTH_PREFIXES = ("/auth/",)


def safe_next(target: str | None, default: str = "/dashboard") -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _from_elsewhere(request: Request, *allowed: str) -> bool:
    """True when the browser says another site started this request."""
    site = request.headers.get("sec-fetch-site")
    return site is not None and site not in allowed


async def complete_sign_in(request: Request) -> Response:
    if _from_elsewhere(request, "same-origin"):
        return _redirect("/login?error=expired")
    app = services()
    token = await app.auth.sessions.redeem_handoff(request.query_params.get("code"))
    if token is None:
        return _redirect("/login?error=expired")
    response = _redirect(safe_next(request.query_params.get("next")))
    set_session_cookie(
        response,
        token,
        max_age=app.auth.sessions.absolute_ttl_s,
        secure=app.secure_cookies,
    )
    return response


async def log_out(request: Request) -> Response:
    if _from_elsewhere(request, "same-origin", "none"):
        return _redirect("/")
    app = services()
    await app.auth.log_out(request.cookies.get(SESSION_COOKIE))
    response = _redirect("/login?signed_out=1")
    clear_session_cookie(response, secure=app.secure_cookies)
    return response


async def github_start(request: Request) -> Response:
    app = services()
    if app.github is None:
        return _redirect("/login?error=github")
    state = new_state()
    response = _redirect(app.github.authorization_url(state))
    set_oauth_state_cookie(response, state, secure=app.secure_cookies)
    return response


async def github_callback(request: Request) -> Response:
    app = services()
    expected = request.cookies.get(OAUTH_STATE_COOKIE, "")
    state = request.query_params.get("state", "")
    code = request.query_params.get("code", "")
    if app.github is None or not expected or not code:
        return _github_failed("github")
    if not secrets.compare_digest(expected.encode(), state.encode()):
        return _github_failed("github")
    try:
        identity = await app.github.identity(code)
        token = await app.auth.sign_in_with_github(identity)
    except GitHubSignInError:
        return _github_failed("github")
    except GitHubAccountConflict:
        return _github_failed("github_conflict")
    viewer = await app.auth.viewer(token)
    response = _redirect("/dashboard" if viewer and viewer.current else "/onboarding")
    set_session_cookie(
        response, token, max_age=app.auth.sessions.absolute_ttl_s, secure=app.secure_cookies
    )
    clear_oauth_state_cookie(response, secure=app.secure_cookies)
    return response


def _github_failed(reason: str) -> Response:
    response = _redirect(f"/login?error={reason}")
    clear_oauth_state_cookie(response, secure=services().secure_cookies)
    return response


def auth_app() -> Starlette:
    """The sign-in routes, dispatched before Reflex's own routes (`web_transformer`)."""
    return Starlette(
        routes=[
            Route("/auth/session", complete_sign_in, methods=["GET"]),
            Route("/logout", log_out, methods=["GET"]),
            Route("/auth/github", github_start, methods=["GET"]),
            Route("/auth/github/callback", github_callback, methods=["GET"]),
        ]
    )
