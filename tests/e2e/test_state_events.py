"""Dashboard events sent straight over the event socket, as a crafted client would.

The UI hides what a role may not do; these tests send it anyway and check the server
refuses: a viewer's key changes, another organization's key id, switching to an
organization one does not belong to, and events without a session.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlmodel import col, select

from gateway.db.engine import make_engine
from gateway.db.enums import MemberRole
from gateway.db.models import ApiKey
from gateway.db.sessions import tenant_session
from routerai_app.state.keys import NOT_ALLOWED, KeysState
from routerai_app.state.session import SessionState
from tests.e2e.events import EventSocket
from tests.e2e.journeys import Account, create_account, end_session, session_token
from tests.e2e.server import Stack
from tests.e2e.test_isolation import add_membership

pytestmark = pytest.mark.e2e
KEYS_PAGE = "/dashboard/keys"


def keys_of(database_url: str, account: Account) -> dict[str, bool]:
    """The organization's keys by id, with whether each is revoked."""
    engine = make_engine(database_url)
    try:
        with tenant_session(engine, account.org_id) as session:
            rows = session.exec(select(ApiKey).where(col(ApiKey.org_id) == account.org_id))
            return {str(row.id): row.revoked_at is not None for row in rows}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def alpha(stack: Stack) -> Account:
    return create_account(stack.database_url, "events-alpha", "Events Alpha")


@pytest.fixture(scope="module")
def beta(stack: Stack) -> Account:
    return create_account(stack.database_url, "events-beta", "Events Beta")


@pytest.fixture(scope="module")
def viewer(stack: Stack, alpha: Account) -> Account:
    """A user whose own organization is elsewhere, and who views alpha's."""
    account = create_account(stack.database_url, "events-viewer", "Events Viewer Home")
    add_membership(
        stack.database_url, org_id=alpha.org_id, user_id=account.user_id, role=MemberRole.VIEWER
    )
    return account


def alpha_tab(tab: EventSocket, alpha: Account) -> None:
    assert tab.var(SessionState, "org_id") == str(alpha.org_id)


def test_a_viewer_sending_key_changes_is_refused(
    stack: Stack, alpha: Account, viewer: Account
) -> None:
    before = keys_of(stack.database_url, alpha)
    (key_id,) = before

    async def run() -> None:
        async with EventSocket(stack.base_url, session_token(viewer)) as tab:
            await tab.send(SessionState, "switch_org", KEYS_PAGE, org_id=str(alpha.org_id))
            await tab.send(KeysState, "load", KEYS_PAGE)
            alpha_tab(tab, alpha)
            assert tab.var(SessionState, "role") == "viewer"

            await tab.send(KeysState, "create", KEYS_PAGE, form={"name": "sneaky"})
            assert tab.var(KeysState, "dialog_error") == NOT_ALLOWED
            for action in ("revoke", "rotate"):
                await tab.send(
                    KeysState, "open_dialog", KEYS_PAGE, name=action, key_id=key_id, key_name="x"
                )
                await tab.send(KeysState, action, KEYS_PAGE)
                assert tab.var(KeysState, "dialog_error") == NOT_ALLOWED, action

    asyncio.run(run())
    assert keys_of(stack.database_url, alpha) == before


def test_another_organizations_key_id_is_refused(
    stack: Stack, alpha: Account, beta: Account
) -> None:
    before = keys_of(stack.database_url, alpha)
    (alpha_key,) = before

    async def run() -> None:
        async with EventSocket(stack.base_url, session_token(beta)) as tab:
            await tab.send(KeysState, "load", KEYS_PAGE)
            assert tab.var(SessionState, "role") == "owner"
            for action in ("revoke", "rotate"):
                # Another organization's key gets the answer a key that exists nowhere gets.
                answers = []
                for key_id in (alpha_key, str(uuid.uuid4())):
                    await tab.send(
                        KeysState, "open_dialog", KEYS_PAGE, name=action, key_id=key_id, key_name=""
                    )
                    await tab.send(KeysState, action, KEYS_PAGE)
                    answers.append(tab.var(KeysState, "dialog_error").replace(key_id, "<id>"))
                assert answers[0] == answers[1] != "", action
                assert not tab.var(SessionState, "revealed_key")  # no key was issued

    asyncio.run(run())
    assert keys_of(stack.database_url, alpha) == before


def test_switching_to_an_organization_one_is_not_in_keeps_ones_own(
    stack: Stack, alpha: Account, beta: Account
) -> None:
    async def run() -> None:
        async with EventSocket(stack.base_url, session_token(beta)) as tab:
            await tab.send(SessionState, "switch_org", KEYS_PAGE, org_id=str(alpha.org_id))
            await tab.send(KeysState, "load", KEYS_PAGE)
            assert tab.var(SessionState, "org_id") == str(beta.org_id)
            shown = {key["id"] for key in tab.var(KeysState, "keys")}
            assert shown == set(keys_of(stack.database_url, beta))

    asyncio.run(run())


@pytest.mark.parametrize("session", ["none", "ended"])
def test_events_without_a_live_session_change_nothing(
    stack: Stack, alpha: Account, session: str
) -> None:
    before = keys_of(stack.database_url, alpha)
    token = session_token(alpha)

    async def run() -> list[str]:
        async with EventSocket(stack.base_url, token) as tab:
            await tab.send(KeysState, "load", KEYS_PAGE)
            alpha_tab(tab, alpha)  # signed in, the tab shows alpha
            if session == "none":
                async with EventSocket(stack.base_url, None) as anonymous:
                    return await anonymous.send(
                        KeysState, "create", KEYS_PAGE, form={"name": "anonymous"}
                    )
            end_session(token)
            return await tab.send(KeysState, "create", KEYS_PAGE, form={"name": "after logout"})

    follow_ups = asyncio.run(run())
    assert any("redirect" in name for name in follow_ups)
    assert keys_of(stack.database_url, alpha) == before
