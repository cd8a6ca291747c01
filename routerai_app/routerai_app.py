"""The RouterAI web app: marketing pages and dashboard, with the gateway mounted.

This is the composition root of the web process. It builds the gateway once from
the settings, and the web app's services on the gateway's engine and Redis;
`reflex run --env prod --single-port` then serves the pages, the Reflex event
socket, the sign-in routes and the gateway's routes (/health, /v1/...) on one port.
"""

import reflex as rx

from gateway.api.app import create_app
from gateway.settings import load_settings
from routerai_app import backend
from routerai_app.auth_routes import AUTH_PREFIXES, auth_app
from routerai_app.gateway_mount import gateway_lifespan, gateway_transformer
from routerai_app.housekeeping import pending_revocations_task
from routerai_app.pages import docs, keys, landing, login, onboarding, overview, pricing, signup
from routerai_app.state.auth import LoginState, SignupState
from routerai_app.state.docs import DocsState
from routerai_app.state.keys import KeysState
from routerai_app.state.onboarding import OnboardingState
from routerai_app.state.overview import OverviewState
from routerai_app.state.session import SessionState
from routerai_app.web_security import WebSecurity

# The OpenAI-compatible API's namespace: every path under it is the gateway's.
GATEWAY_PREFIXES = ("/v1/",)

settings = load_settings()
gateway = create_app(settings)
runtime = gateway.state.gateway
services = backend.Services.build(settings, runtime.engine, runtime.redis, runtime)
backend.install(services)

app = rx.App(
    api_transformer=gateway_transformer(
        gateway,
        GATEWAY_PREFIXES,
        (auth_app(), AUTH_PREFIXES),
        web=lambda app: WebSecurity(app, settings.public_url),
    ),
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
    stylesheets=["/app.css"],
)
app.register_lifespan_task(gateway_lifespan(gateway))
app.register_lifespan_task(pending_revocations_task(services.keys))

app.add_page(
    landing.landing_page(services.api_base_url),
    route="/",
    title=landing.TITLE,
    description=landing.DESCRIPTION,
    on_load=SessionState.check,
)
app.add_page(
    pricing.pricing_page(),
    route="/pricing",
    title=pricing.TITLE,
    description=pricing.DESCRIPTION,
    on_load=SessionState.check,
)
app.add_page(
    docs.docs_page(),
    route="/docs",
    title=docs.TITLE,
    description=docs.DESCRIPTION,
    on_load=DocsState.load,
)
app.add_page(signup.signup_page(), route="/signup", title=signup.TITLE, on_load=SignupState.load)
app.add_page(login.login_page(), route="/login", title=login.TITLE, on_load=LoginState.load)
app.add_page(
    onboarding.onboarding_page(),
    route="/onboarding",
    title=onboarding.TITLE,
    on_load=OnboardingState.load,
)
app.add_page(
    overview.overview_page(), route="/dashboard", title=overview.TITLE, on_load=OverviewState.load
)
app.add_page(keys.keys_page(), route="/dashboard/keys", title=keys.TITLE, on_load=KeysState.load)

from routerai_app.pages import logs as logs_page  # noqa: E402
from routerai_app.pages import usage as usage_page  # noqa: E402
from routerai_app.state.logs import LogsState  # noqa: E402
from routerai_app.state.usage import UsageState  # noqa: E402

app.add_page(
    usage_page.usage_page(),
    route="/dashboard/usage",
    title=usage_page.TITLE,
    on_load=UsageState.load,
)
app.add_page(
    logs_page.logs_page(), route="/dashboard/logs", title=logs_page.TITLE, on_load=LogsState.load
)

from routerai_app.pages import cache as cache_page  # noqa: E402
from routerai_app.pages import routing as routing_page  # noqa: E402
from routerai_app.state.cache import CacheState  # noqa: E402
from routerai_app.state.routing import RoutingState  # noqa: E402

app.add_page(
    routing_page.routing_page(),
    route="/dashboard/routing",
    title=routing_page.TITLE,
    on_load=RoutingState.load,
)
app.add_page(
    cache_page.cache_page(),
    route="/dashboard/cache",
    title=cache_page.TITLE,
    on_load=CacheState.load,
)

from routerai_app.pages import providers as providers_page  # noqa: E402
from routerai_app.state.providers import ProvidersState  # noqa: E402

app.add_page(
    providers_page.providers_page(),
    route="/dashboard/providers",
    title=providers_page.TITLE,
    on_load=ProvidersState.load,
)

from routerai_app.pages import billing as billing_page  # noqa: E402
from routerai_app.pages import invite as invite_page  # noqa: E402
from routerai_app.pages import settings as settings_page  # noqa: E402
from routerai_app.state.billing import BillingState  # noqa: E402
from routerai_app.state.invite import InviteState  # noqa: E402
from routerai_app.state.settings import SettingsState  # noqa: E402

app.add_page(
    billing_page.billing_page(),
    route="/dashboard/billing",
    title=billing_page.TITLE,
    on_load=BillingState.load,
)
app.add_page(
    settings_page.settings_page(),
    route="/dashboard/settings",
    title=settings_page.TITLE,
    on_load=SettingsState.load,
)
app.add_page(
    invite_page.invite_page(), route="/invite", title=invite_page.TITLE, on_load=InviteState.load
)
