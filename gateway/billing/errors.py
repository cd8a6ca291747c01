"""Billing errors a user may see, and how Stripe's errors become them.

    BillingError                     a sentence for the user; nothing was changed
    ├── PlanNotPurchasable           Free needs no checkout; Enterprise is sold by contact
    ├── NoBillingAccount             no Stripe customer yet (portal before any upgrade)
    └── StripeUnavailable            Stripe is down, slow or rate-limiting: try again later

`user_facing(exc)` maps any `stripe.StripeError` to one of these, so a declined card,
a rate limit or an outage reaches the dashboard as a clear message, never a crash.
Every billing operation makes its Stripe call before it changes anything in
RouterAI, so a Stripe error also never leaves a half-changed plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe

SALES_EMAIL = "sales@routerai.dev"
CONTACT_SALES = f"Enterprise is sold by contract: contact {SALES_EMAIL} and we will set it up."


class BillingError(Exception):
    """A billing operation failed; `message` says what happened and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlanNotPurchasable(BillingError):
    pass


class NoBillingAccount(BillingError):
    pass


class StripeUnavailable(BillingError):
    """Transient: Stripe is down or rate-limiting. Retrying later is the remedy."""


def user_facing(exc: stripe.StripeError) -> BillingError:
    """The message a user should read for a Stripe error (nothing was changed)."""
    if isinstance(exc, stripe.CardError):
        reason = exc.user_message or "your card was declined"
        return BillingError(
            f"Payment failed: {reason.rstrip('.')}. Your plan was not changed; update your "
            "payment method in the billing portal and try again."
        )
    if isinstance(exc, stripe.RateLimitError):
        return StripeUnavailable(
            "Our payment provider is busy right now. Your plan was not changed; please try "
            "again in a minute."
        )
    if isinstance(exc, stripe.APIConnectionError | stripe.APIError):
        return StripeUnavailable(
            "Our payment provider is temporarily unavailable. Your plan was not changed; "
            "please try again in a few minutes."
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return BillingError(
            "Billing is misconfigured on this RouterAI deployment (Stripe refused its key). "
            "Please contact support."
        )
    return BillingError(
        "Our payment provider refused the request"
        + (f": {exc.user_message}" if exc.user_message else ".")
        + " Your plan was not changed."
    )


def is_transient(exc: stripe.StripeError) -> bool:
    """Whether retrying later may succeed (outage, rate limit, lost connection)."""
    return isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError | stripe.APIError)


@contextmanager
def stripe_errors() -> Iterator[None]:
    """Re-raise any `stripe.StripeError` inside the block as its user-facing BillingError."""
    try:
        yield
    except stripe.StripeError as exc:
        raise user_facing(exc) from exc
