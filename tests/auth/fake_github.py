"""A fake GitHub for OAuth tests: the authorization-code flow and the two user endpoints.

It speaks the wire protocol GitHub documents for OAuth apps:

- `GET /login/oauth/authorize` approves at once as `approve_as` (GitHub would ask the
  user) and redirects to `redirect_uri` with a single-use `code` and the `state`;
- `POST /login/oauth/access_token` swaps the code (with the app's id and secret) for
  an access token, answering JSON when asked to;
- `GET /user` and `GET /user/emails` describe the token's user.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "Iv1.routerai-test"
CLIENT_SECRET = "routerai-test-client-secret"


@dataclass
class FakeUser:
    id: int
    login: str
    name: str
    email: str
    verified: bool = True


@dataclass
class FakeGitHub:
    """The fake's state; tests pick who approves next with `approve_as`."""

    approve_as: FakeUser | None = None
    codes: dict[str, FakeUser] = field(default_factory=dict)
    tokens: dict[str, FakeUser] = field(default_factory=dict)
    token_requests: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self.authorize, methods=["GET"]),
                Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
                Route("/user", self.user, methods=["GET"]),
                Route("/user/emails", self.emails, methods=["GET"]),
            ]
        )

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != CLIENT_ID or self.approve_as is None:
            return JSONResponse({"error": "unknown client or no user"}, status_code=400)
        code = secrets.token_hex(10)
        self.codes[code] = self.approve_as
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def access_token(self, request: Request) -> Response:
        self.token_requests += 1
        form = await request.form()
        client_ok = (
            form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
        )
        user = self.codes.pop(str(form.get("code", "")), None)
        if not client_ok or user is None:
            return JSONResponse({"error": "bad_verification_code"})
        token = "gho_" + secrets.token_hex(16)
        self.tokens[token] = user
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": "read:user"})

    def _user_for(self, request: Request) -> FakeUser | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.tokens.get(token) if scheme.lower() in ("bearer", "token") else None

    async def user(self, request: Request) -> Response:
        user = self._user_for(request)
        if user is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse({"id": user.id, "login": user.login, "name": user.name})

    async def emails(self, request: Request) -> Response:
        user = self._user_for(request)
        if user is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(
            [
                {
                    "email": f"{user.login}@users.noreply.example",
                    "primary": False,
                    "verified": True,
                },
                {"email": user.email, "primary": True, "verified": user.verified},
            ]
        )
