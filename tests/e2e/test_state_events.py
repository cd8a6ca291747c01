"""Dashboard events sent straight over the event socket, as a crafted client would.

The UI hides what a role may not do; these tests send it anyway and check the server
refuses: every changing event of every page from a role too low, another organization's
ids, switching to an organization one does not belong to, and events without a session.
"""

from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy import text
from sqlmodel import col, select

from gateway.billing.plans import PlanName
from gateway.db.engine import make_engine
from gateway.db.enums import MemberRole
from gateway.db.models import ApiKey, Organization, OrgMember, ProviderCredential
from gateway.db.sessions import system_session, tenant_session
from routerai_app.state.billing import BillingState
from routerai_app.state.cache import CacheState
from routerai_app.state.keys import NOT_ALLOWED, KeysState
from routerai_app.state.providers import ProvidersState
from routerai_app.state.routing import RoutingState
from routerai_app.state.session import SessionState
from routerai_app.state.settings import SettingsState
from tests.e2e.events import EventSocket
from tests.e2e.journeys import Account, create_account, end_session, run_async, session_token
from tests.e2e.server import E2E_REDIS_URL, Stack
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

    run_async(run())
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
                assert not tab.var(SessionState, "key_showing")  # no key was issued

    run_async(run())
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

    run_async(run())


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

    follow_ups = run_async(run())
    assert any("redirect" in name for name in follow_ups)
    assert keys_of(stack.database_url, alpha) == before


# Every event that changes something, page by page, with the events a user would send
# first to get there (a draft, a dialog). (state, handler, payload) triples.
Step = tuple[type, str, dict[str, object]]
BENCHMARK_TARGET = "groq/llama-3.3-70b-versatile"


def change_events(self_id: str, owner_id: str, org_name: str) -> dict[str, list[Step]]:
    return {
        "/dashboard/routing": [
            (RoutingState, "set_strategy", {"value": "cost"}),
            (RoutingState, "save", {}),
        ],
        "/dashboard/cache": [
            (CacheState, "set_enabled", {"value": False}),
            (CacheState, "save", {}),
            (CacheState, "clear", {}),
        ],
        "/dashboard/providers": [
            (ProvidersState, "open_dialog", {"name": "add", "provider": "openai"}),
            (ProvidersState, "save_key", {"form": {"secret": "sk-" + "a" * 40}}),
            (ProvidersState, "open_dialog", {"name": "remove", "provider": "groq"}),
            (ProvidersState, "remove_key", {}),
        ],
        "/dashboard/billing": [
            (BillingState, "upgrade", {"plan": "scale"}),
            (BillingState, "manage", {}),
            (BillingState, "save_budgets", {"form": {"token_budget": "1", "thresholds": "10"}}),
        ],
        "/dashboard/settings": [
            (SettingsState, "save_org", {"form": {"name": "Taken Over", "slug": "taken-over"}}),
            (SettingsState, "invite", {"form": {"email": "intruder@example.com", "role": "owner"}}),
            (SettingsState, "change_role", {"user_id": self_id, "role": "owner"}),
            (SettingsState, "open_dialog", {"name": "remove", "target_id": owner_id}),
            (SettingsState, "remove", {}),
            (SettingsState, "delete_org", {"form": {"confirm": org_name}}),
        ],
    }


def snapshot(database_url: str, account: Account, redis_url: str) -> dict[str, object]:
    """Everything those events could change in the organization."""
    engine = make_engine(database_url)
    try:
        with system_session(engine) as session:
            org = session.get(Organization, account.org_id)
            assert org is not None
            settings = org.model_dump(exclude={"updated_at"})
        with tenant_session(engine, account.org_id) as session:
            counts = {
                table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in (
                    "org_members",
                    "invitations",
                    "provider_credentials",
                    "benchmark_runs",
                    "api_keys",
                )
            }
            roles = sorted(str(role) for role in session.exec(select(OrgMember.role)).all())
    finally:
        engine.dispose()
    client = redis.Redis.from_url(redis_url)
    try:
        cached = sorted(client.scan_iter(f"gw:cache:{account.org_id}:*"))
    finally:
        client.close()
    return {"org": settings, "counts": counts, "roles": roles, "cache": cached}


@pytest.fixture(scope="module")
def configured(stack: Stack, alpha: Account, viewer: Account) -> Account:
    """Alpha on Growth with a provider key of its own and something in its cache."""
    engine = make_engine(stack.database_url)
    try:
        with system_session(engine) as session:
            org = session.get(Organization, alpha.org_id)
            assert org is not None
            org.plan = PlanName.GROWTH
            session.add(org)
        with tenant_session(engine, alpha.org_id) as session:
            session.add(
                ProviderCredential(
                    org_id=alpha.org_id, provider="groq", encrypted_secret=b"x", last_four="abcd"
                )
            )
    finally:
        engine.dispose()
    client = redis.Redis.from_url(E2E_REDIS_URL)
    try:
        client.set(f"gw:cache:{alpha.org_id}:marker", "kept")
    finally:
        client.close()
    return alpha


@pytest.mark.parametrize("role", [MemberRole.VIEWER, MemberRole.MEMBER])
def test_every_change_event_of_every_page_is_refused_below_its_role(
    stack: Stack, configured: Account, role: MemberRole
) -> None:
    account = create_account(stack.database_url, f"events-{role.value}", f"Home of {role.value}")
    add_membership(stack.database_url, org_id=configured.org_id, user_id=account.user_id, role=role)
    before = snapshot(stack.database_url, configured, E2E_REDIS_URL)
    pages = change_events(str(account.user_id), str(configured.user_id), configured.org_name)

    async def run() -> list[str]:
        sent = []
        async with EventSocket(stack.base_url, session_token(account)) as tab:
            await tab.send(SessionState, "switch_org", "/dashboard", org_id=str(configured.org_id))
            for path, steps in pages.items():
                first = steps[0][0]
                await tab.send(first, "load", path)
                assert tab.var(SessionState, "org_id") == str(configured.org_id)
                for state, handler, payload in steps:
                    await tab.send(state, handler, path, **payload)
                    sent.append(f"{state.__name__}.{handler}")
            if role is MemberRole.VIEWER:  # members may run benchmarks; viewers may not
                page = "/dashboard/providers"
                await tab.send(
                    ProvidersState, "toggle_target", page, label=BENCHMARK_TARGET, checked=True
                )
                await tab.send(ProvidersState, "set_prompts_text", page, value="Say hi")
                await tab.send(ProvidersState, "start_benchmark", page)
                assert "not run" in tab.var(ProvidersState, "bench_error")
                sent.append("ProvidersState.start_benchmark")
        return sent

    sent = run_async(run())
    assert len(sent) >= 16
    assert snapshot(stack.database_url, configured, E2E_REDIS_URL) == before
