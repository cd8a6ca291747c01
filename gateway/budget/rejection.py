"""How a refused admission reads to the client: OpenAI's 429s, with what to do next."""

from __future__ import annotations

from gateway.budget.admission import AdmissionResult, Reason
from gateway.errors import GatewayError, QuotaExceeded, RateLimited, ServiceUnavailable


def rejection_error(result: AdmissionResult) -> GatewayError:
    """The error a refused admission is answered with: 429, rate limit or quota (or 503
    when the budget's spend could not be rebuilt)."""
    reason = result.reason or Reason.ORG_REQUESTS
    if reason is Reason.SPEND_UNKNOWN:
        return ServiceUnavailable(
            "RouterAI is rebuilding your organization's spend for this budget period; "
            "please retry in a few seconds.",
            headers={"retry-after": "2"},
        )
    if reason.is_budget:
        what = "token" if reason is Reason.BUDGET_TOKENS else "spending"
        return QuotaExceeded(
            f"Your organization has reached its monthly {what} budget. Raise the budget or "
            "upgrade your plan in the RouterAI dashboard (/dashboard/billing)."
        )
    headers = {"retry-after": str(result.retry_after_s or 1)}
    scope, _, kind = reason.value.partition("_")
    owner = "organization" if scope == "org" else "API key"
    error = RateLimited(
        f"Rate limit reached for {kind} per minute on this {owner}. Limit "
        f"{result.limit_requests if kind == 'requests' else result.limit_tokens}; please try "
        f"again in {result.retry_after_s or 1}s.",
        headers=headers,
    )
    error.type = kind
    return error
