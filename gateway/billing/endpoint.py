"""POST /webhooks/stripe: the Starlette endpoint in front of `WebhookProcessor`.

    200 {"received": true, "status": "processed" | "duplicate" | "ignored"}
    400 the signature, timestamp or payload is not a genuine Stripe event; nothing changed
    413 the body is over MAX_EVENT_BYTES; refused while reading, before any check
    500 Stripe or the database failed while applying it; nothing changed, Stripe redelivers
    503 billing is not configured (no STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET)

The body is read within MAX_EVENT_BYTES, before its signature can be checked: anyone can
post here, and a body read whole first would let them fill the process's memory.

The processor's blocking work (Stripe reads, the database) runs in a worker thread;
the tenant contexts of the organization's keys are then forgotten in Redis before
the answer, so once Stripe has its 200 every gateway process applies the new
limits within its local cache's lifetime.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import stripe
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.api.body import ClientDisconnect, ClientGone, read_body
from gateway.billing.client import BillingNotConfigured, stripe_client
from gateway.billing.webhooks import WebhookProcessor, WebhookRejected
from gateway.errors import PayloadTooLarge
from gateway.settings import Settings
from gateway.tenancy.resolver import invalidate

log = logging.getLogger("routerai.billing.webhooks")

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_EVENT_BYTES = 1024 * 1024
"""Stripe's events are a few kilobytes (tens for the largest invoices and sessions)."""


def stripe_webhook_endpoint(settings: Settings, engine: Engine, redis: aioredis.Redis) -> Endpoint:
    """The request handler to mount at POST /webhooks/stripe."""
    processor = _processor(settings, engine)

    async def stripe_webhook(request: Request) -> Response:
        if processor is None:
            return _error(503, "Stripe webhooks are not configured on this deployment.")
        try:
            payload = await read_body(
                request, limit=MAX_EVENT_BYTES, declared=request.headers.get("content-length")
            )
        except PayloadTooLarge as exc:
            log.warning("refused a Stripe webhook: %s", exc.message)
            return _error(413, exc.message)
        except ClientDisconnect:
            log.warning("a Stripe webhook's sender went away before sending its whole body")
            return ClientGone()
        signature = request.headers.get("stripe-signature")
        try:
            outcome = await asyncio.to_thread(processor.process, payload, signature)
        except WebhookRejected as exc:
            log.warning("refused a Stripe webhook: %s", exc)
            return _error(400, str(exc))
        except (stripe.StripeError, SQLAlchemyError):
            log.exception("could not apply a Stripe webhook; Stripe will deliver it again")
            return _error(500, "The event could not be applied; it will be retried.")
        await invalidate(redis, outcome.key_hashes)
        return JSONResponse({"received": True, "status": outcome.status})

    return stripe_webhook


def _processor(settings: Settings, engine: Engine) -> WebhookProcessor | None:
    secret = settings.stripe_webhook_secret
    try:
        client = stripe_client(settings)
    except BillingNotConfigured:
        return None
    if secret is None:
        return None
    return WebhookProcessor(engine, client, secret.get_secret_value())


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, status)
