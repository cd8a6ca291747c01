"""The one place a `StripeClient` is built: every Stripe call RouterAI makes goes through it.

`STRIPE_API_BASE` points the SDK's base addresses (the API, and the meter-event
stream host) elsewhere, e.g. at the fake Stripe server the tests run on 127.0.0.1.
The API version is the SDK's own pinned version, so payload shapes match its types.
"""

from __future__ import annotations

import stripe
from stripe._base_address import BaseAddresses

from gateway.settings import Settings

REQUEST_TIMEOUT_S = 20.0
NETWORK_RETRIES = 2


class BillingNotConfigured(RuntimeError):
    """STRIPE_SECRET_KEY is not set: billing features are off on this deployment."""


def stripe_client(
    settings: Settings, *, max_network_retries: int = NETWORK_RETRIES
) -> stripe.StripeClient:
    """A StripeClient for `settings`; raises BillingNotConfigured without a secret key.

    The SDK retries connection errors, 409s and 5xx itself (`max_network_retries`),
    reusing one Idempotency-Key across its retries.
    """
    if settings.stripe_secret_key is None:
        raise BillingNotConfigured(
            "Billing is not configured: set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET)."
        )
    base_addresses: BaseAddresses = {}
    if settings.stripe_api_base:
        base = settings.stripe_api_base.rstrip("/")
        base_addresses = {"api": base, "meter_events": base, "files": base, "connect": base}
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses=base_addresses,
        max_network_retries=max_network_retries,
        http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_S),
    )
