"""The RouterAI web app: marketing pages and dashboard, with the gateway mounted.

This is the composition root of the web process. It builds the gateway once from
the settings; `reflex run --env prod --single-port` then serves the pages, the
Reflex event socket and the gateway's routes (/health, /v1/...) on one port.
"""

import reflex as rx

from gateway.api import create_app
from gateway.settings import load_settings
from routerai_app.gateway_mount import gateway_lifespan, gateway_transformer
from routerai_app.pages import landing

# The OpenAI-compatible API's namespace: every path under it is the gateway's.
GATEWAY_PREFIXES = ("/v1/",)

settings = load_settings()
gateway = create_app(settings)

app = rx.App(
    api_transformer=gateway_transformer(gateway, GATEWAY_PREFIXES),
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
)
app.register_lifespan_task(gateway_lifespan(gateway))
app.add_page(
    landing.landing_page(f"{settings.public_url.rstrip('/')}/v1"),
    route="/",
    title=landing.TITLE,
    description=landing.DESCRIPTION,
)
