"""Periodic work the web process does for the dashboard: pending key revocations.

A rotation with a grace period leaves the old key to be revoked later; this task
carries those revocations out every few seconds (`KeyManager.revoke_due`). Every web
process may run it: a revocation is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import redis
from sqlalchemy.exc import SQLAlchemyError

from gateway.dashboard.keys import KeyManager

INTERVAL_S = 15.0
log = logging.getLogger("routerai.web")


def pending_revocations_task(
    keys: KeyManager, interval_s: float = INTERVAL_S
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """A Reflex lifespan task running `keys.revoke_due()` every `interval_s` seconds."""

    async def loop() -> None:
        while True:
            try:
                done = await keys.revoke_due()
            except (SQLAlchemyError, redis.RedisError):
                log.exception("pending key revocations failed; retrying")
            else:
                if done:
                    log.info("revoked %d keys whose grace period ended", done)
            await asyncio.sleep(interval_s)

    @asynccontextmanager
    async def run() -> AsyncIterator[None]:
        task = asyncio.create_task(loop(), name="routerai-pending-revocations")
        try:
            yield
        finally:
            task.cancel()

    return run
