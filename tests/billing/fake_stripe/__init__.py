"""A fake Stripe HTTP server for tests, checked against the official stripe SDK as its client."""

from tests.billing.fake_stripe.server import FakeStripe

__all__ = ["FakeStripe"]
