"""The web app's authentication façade: sign-up, sign-in, sessions and organizations.

Asynchronous, for the web app's event loop: database work (and argon2, which is CPU
bound) runs in worker threads, Redis calls are awaited. Every answer a visitor sees on
a failed sign-in is the same generic message, whatever the reason.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import redis.asyncio as aioredis
from sqlalchemy import Engine

from gateway.auth import accounts
from gateway.auth.accounts import NewOrganization, SignUpError
from gateway.auth.github import GitHubIdentity
from gateway.auth.mail import LogMailer, Mailer, already_registered_mail, confirm_sign_up_mail
from gateway.auth.memberships import OrgChoice, member_role, user_organizations
from gateway.auth.permissions import Actor
from gateway.auth.sessions import SessionStore
from gateway.auth.signups import PendingSignUp, PendingSignUps
from gateway.auth.throttle import LoginThrottle, ThrottlePolicy
from gateway.background import BackgroundTasks

INVALID_CREDENTIALS = "Incorrect email or password."
# Sign-ups per address and per email address an hour (each one mails that address).
SIGNUP_POLICY = ThrottlePolicy(account_limit=5, address_limit=20, window_s=3600)
CONFIRM_PATH = "/signup/confirm"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user, their organizations, and the one they are looking at."""

    user_id: uuid.UUID
    email: str
    display_name: str
    organizations: tuple[OrgChoice, ...]
    current: OrgChoice | None


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A new session's token, or the one message to show (`error`)."""

    token: str | None = None
    error: str | None = None


class AuthService:
    """Everything the web app asks about who is signed in."""

    def __init__(
        self,
        engine: Engine,
        redis: aioredis.Redis,
        *,
        sessions: SessionStore | None = None,
        login_throttle: LoginThrottle | None = None,
        signup_throttle: LoginThrottle | None = None,
        mailer: Mailer | None = None,
        public_url: str = "http://localhost:3000",
    ) -> None:
        self._engine = engine
        self._mailer = mailer or LogMailer()
        self._public_url = public_url.rstrip("/")
        self._pending = PendingSignUps(redis)
        self._outbox = BackgroundTasks("sending mail")
        self.sessions = sessions or SessionStore(redis)
        self._login_throttle = login_throttle or LoginThrottle(redis)
        self._signup_throttle = signup_throttle or LoginThrottle(
            redis, SIGNUP_POLICY, name="signups"
        )

    async def log_in(self, email: str, password: str, address: str) -> LoginResult:
        """A session for the user, or a generic error (wrong details) or a throttle message."""
        refused = await self._login_throttle.check(email, address)
        if refused is not None:
            return LoginResult(error=refused.message)
        user_id = await asyncio.to_thread(
            accounts.authenticate, self._engine, email=email, password=password
        )
        if user_id is None:
            await self._login_throttle.record_failure(email, address)
            return LoginResult(error=INVALID_CREDENTIALS)
        await self._login_throttle.record_success(email)
        return LoginResult(token=await self.sessions.create(user_id))

    async def request_sign_up(
        self, email: str, password: str, org_name: str, address: str, next_path: str
    ) -> str:
        """Check the form, then mail the address; the address, as the visitor is told.

        A new address gets a confirmation link (`confirm_sign_up` creates the account); one
        that already has an account gets a reminder to log in instead. The visitor sees the
        same answer after the same work either way (the password is hashed in both, the
        mail leaves in the background), so the form tells no one which addresses have
        accounts. SignUpError for a form that is wrong whatever the address.
        """
        refused = await self._signup_throttle.check(email, address)
        if refused is not None:
            raise SignUpError("form", "Too many sign-up attempts. Try again later.")
        await self._signup_throttle.record_failure(email, address)
        request = await asyncio.to_thread(
            accounts.prepare_sign_up, email=email, password=password, org_name=org_name
        )
        if await asyncio.to_thread(accounts.email_registered, self._engine, request.email):
            mail = already_registered_mail(request.email, f"{self._public_url}/login")
        else:
            token = await self._pending.put(PendingSignUp(request, next_path))
            link = f"{self._public_url}{CONFIRM_PATH}?{urlencode({'token': token})}"
            mail = confirm_sign_up_mail(request.email, link, request.org_name)
        self._outbox.spawn(asyncio.to_thread(self._mailer.send, mail))
        return request.email

    async def confirm_sign_up(self, token: str) -> tuple[NewOrganization, str, str]:
        """Create the account a confirmation link stands for: (the new organization with its
        first key, a session token, where to go next); SignUpError when the link is spent."""
        pending = await self._pending.take(token)
        if pending is None:
            raise SignUpError(
                "link", "This link has expired or was already used. Sign up again, or log in."
            )
        created = await asyncio.to_thread(accounts.create_account, self._engine, pending.request)
        session = await self.sessions.create(created.user_id, created.org_id)
        return created, session, pending.next_path

    async def drain_mail(self) -> None:
        """Wait until the mail being sent has left (shutdown, tests)."""
        await self._outbox.drain()

    async def sign_in_with_github(self, identity: GitHubIdentity) -> str:
        """A session for the GitHub user (created on first sign-in); GitHubAccountConflict."""
        user_id, _ = await asyncio.to_thread(
            accounts.github_user,
            self._engine,
            github_id=identity.github_id,
            email=identity.email,
            display_name=identity.name,
        )
        return await self.sessions.create(user_id)

    async def viewer(self, token: str | None, prefer_org: uuid.UUID | None = None) -> Viewer | None:
        """Who holds `token`, and their current organization; None when signed out.

        The current organization is `prefer_org` when the user belongs to it (a tab keeps
        the organization it shows), else the session's, else the user's first one.
        """
        session = await self.sessions.get(token)
        if session is None:
            return None
        profile = await asyncio.to_thread(accounts.profile, self._engine, session.user_id)
        if profile is None:
            await self.sessions.destroy(token)
            return None
        organizations = tuple(
            await asyncio.to_thread(user_organizations, self._engine, session.user_id)
        )
        by_id = {o.org_id: o for o in organizations}
        chosen = next((by_id[o] for o in (prefer_org, session.org_id) if o in by_id), None)
        current = chosen or (organizations[0] if organizations else None)
        return Viewer(profile.user_id, profile.email, profile.display_name, organizations, current)

    async def access(self, token: str | None, org_id: uuid.UUID) -> Actor | None:
        """The user's role in `org_id`, checked now; None when signed out or not a member.

        Cheaper than `viewer` (one Redis read and one membership query): what a page
        asks before each read or change of an organization's data.
        """
        session = await self.sessions.get(token)
        if session is None:
            return None
        role = await asyncio.to_thread(
            member_role, self._engine, org_id=org_id, user_id=session.user_id
        )
        return None if role is None else Actor(session.user_id, org_id, role)

    async def switch_organization(self, token: str, org_id: uuid.UUID) -> Viewer | None:
        """Show `org_id` from now on (new tabs too), if the user belongs to it."""
        viewer = await self.viewer(token, org_id)
        if viewer is not None and viewer.current is not None:
            await self.sessions.set_org(token, viewer.current.org_id)
        return viewer

    async def create_organization(self, token: str, org_name: str) -> NewOrganization:
        """A new organization owned by the signed-in user, now their current one."""
        session = await self.sessions.get(token)
        if session is None:
            raise PermissionError("not signed in")
        created = await asyncio.to_thread(
            accounts.create_organization_for,
            self._engine,
            user_id=session.user_id,
            org_name=org_name,
        )
        await self.sessions.set_org(token, created.org_id)
        return created

    async def log_out(self, token: str | None) -> None:
        """End the session behind `token`."""
        await self.sessions.destroy(token)
