"""Reflex configuration for the RouterAI web app.

Every value that depends on the deployment comes from `gateway.settings`, the one
module that reads the environment. The build must work offline: the only thing
fetched is the frontend's npm packages, through bun, as reflex.lock/bun.lock pins them.
"""

import os
import sys
from pathlib import Path

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from gateway.settings import Settings

settings = Settings()

# Reflex asks PyPI for a newer release on start-up; a production server should
# not reach out to the internet on its own. An explicit value in the
# environment still wins.
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")

# The bun `make` installs into the environment that runs Reflex, at the version the Makefile
# pins. Without it (an environment made by hand), Reflex uses the bun on PATH.
PINNED_BUN = Path(sys.prefix) / "bun" / "node_modules" / ".bin" / "bun"

config = rx.Config(
    app_name="routerai_app",
    db_url=settings.resolved_database_url,
    # REDIS_URL set: Reflex keeps UI state in Redis, so several web instances
    # can share it. Unset: one worker with on-disk state (the embedded default).
    redis_url=settings.redis_url,
    deploy_url=settings.public_url,
    telemetry_enabled=False,
    # Installs refuse a reflex.lock/bun.lock that its package.json no longer matches.
    frozen_lockfile=True,
    show_built_with_reflex=False,
    # Radix themes style the UI (no tailwind plugin); the sitemap is generated
    # locally from the pages.
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="inherit", accent_color="indigo", gray_color="slate", radius="large"
            ),
        ),
        SitemapPlugin(),
    ],
    **({"bun_path": PINNED_BUN} if PINNED_BUN.exists() else {}),
)
