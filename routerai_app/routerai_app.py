"""The RouterAI web app: marketing pages and dashboard, with the gateway mounted.

This is the composition root of the web process. It builds the gateway once from
the settings, and the web app's services on the gateway's engine and Redis;
`reflex run --env prod --single-port` then serves the pages, the Reflex event
socket, the sign-in routes and the gateway's routes (/health, /v1/...) on one port.
"""

import reflex as rx
from starlette.types import ASGIApp

from gateway.api.app import create_app
from gateway.auth.service import CONFIRM_PATH
from gateway.settings import load_settings
from routerai_app import backend
from routerai_app.auth_routes import AUTH_PREFIXES, auth_app
from routerai_app.gateway_mount import gateway_in_front, gateway_lifespan, web_transformer
from routerai_app.housekeeping import pending_revocations_task
from routerai_app.pages import (
    billing,
    cache,
    docs,
    invite,
    keys,
    landing,
    login,
    logs,
    onboarding,
    overview,
    pricing,
    providers,
    routing,
    signup,
    usage,
)
from routerai_app.pages import settings as settings_page
from routerai_app.state.auth import ConfirmState, LoginState, SignupState
from routerai_app.state.billing import BillingState
from routerai_app.state.cache import CacheState
from routerai_app.state.docs import DocsState
from routerai_app.state.invite import InviteState
from routerai_app.state.keys import KeysState
from routerai_app.state.logs import LogsState
from routerai_app.state.onboarding import OnboardingState
from routerai_app.state.overview import OverviewState
from routerai_app.state.providers import ProvidersState
from routerai_app.state.routing import RoutingState
from routerai_app.state.session import SessionState
from routerai_app.state.settings import SettingsState
from routerai_app.state.usage import UsageState
from routerai_app.web_security import WebSecurity

# The OpenAI-compatible API's namespace: every path under it is the gateway's.
GATEWAY_PREFIXES = ("/v1/",)

settings = load_settings()
gateway = create_app(settings)
runtime = gateway.state.gateway
services = backend.Services.build(settings, runtime.engine, runtime.redis, runtime)
backend.install(services)


class RouterAIApp(rx.App):
    """Reflex's app with the gateway in front of all of its layers (`gateway_mount`)."""

    def __call__(self) -> ASGIApp:
        cors_origins = rx.config.get_config().cors_allowed_origins
        return gateway_in_front(gateway, GATEWAY_PREFIXES, super().__call__(), cors_origins)


app = RouterAIApp(
    api_transformer=web_transformer(
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
app.add_page(
    signup.confirm_page(),
    route=CONFIRM_PATH,
    title=signup.CONFIRM_TITLE,
    on_load=ConfirmState.load,
)
app.add_page(login.login_page(), route="/login", title=login.TITLE, on_load=LoginState.load)
app.add_page(
    onboarding.onboarding_page(),
    route="/onboarding",
    title=onboarding.TITLE,
    on_load=OnboardingState.load,
)

# The dashboard's pages: route, page, title, and its state's loader.
DASHBOARD = (
    ("/dashboard", overview.overview_page, overview.TITLE, OverviewState.load),
    ("/dashboard/usage", usage.usage_page, usage.TITLE, UsageState.load),
    ("/dashboard/logs", logs.logs_page, logs.TITLE, LogsState.load),
    ("/dashboard/keys", keys.keys_page, keys.TITLE, KeysState.load),
    ("/dashboard/routing", routing.routing_page, routing.TITLE, RoutingState.load),
    ("/dashboard/providers", providers.providers_page, providers.TITLE, ProvidersState.load),
    ("/dashboard/cache", cache.cache_page, cache.TITLE, CacheState.load),
    ("/dashboard/billing", billing.billing_page, billing.TITLE, BillingState.load),
    ("/dashboard/settings", settings_page.settings_page, settings_page.TITLE, SettingsState.load),
    ("/invite", invite.invite_page, invite.TITLE, InviteState.load),
)
for route, page, title, on_load in DASHBOARD:
    app.add_page(page(), route=route, title=title, on_load=on_load)
