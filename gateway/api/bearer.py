"""The operator's bearer token on `/metrics`: read from the header, compared in constant time.

Pure: the route passes the `Authorization` header and the configured token. Both sides
are hashed before the comparison, so neither the time taken nor an early exit on a
length mismatch says anything about the token.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from gateway.errors import AuthenticationError

SCHEME = "bearer"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme in any case), or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != SCHEME or not token:
        return None
    return token


def bearer_matches(authorization: str | None, expected: SecretStr | None) -> bool:
    """True when no token is configured, or the header carries exactly `expected`."""
    if expected is None:
        return True
    presented = bearer_token(authorization)
    if presented is None:
        return False
    return hmac.compare_digest(_digest(presented), _digest(expected.get_secret_value()))


def metrics_refused() -> AuthenticationError:
    """The 401 for a scrape without the right token, in the gateway's error shape."""
    return AuthenticationError(
        "The metrics endpoint needs the operator's bearer token "
        "(Authorization: Bearer <ROUTERAI_METRICS_TOKEN>).",
        code="invalid_metrics_token",
        headers={"www-authenticate": 'Bearer realm="metrics"'},
    )


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()
