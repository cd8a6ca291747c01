"""Stage 2, rate limit: requests and tokens per minute, per organization and per API key.

The window arithmetic and OpenAI's headers live here; the atomic check happens together with
the budget reservation in one admission (`gateway.budget.admission`).
"""

from gateway.ratelimit.headers import format_reset, rate_limit_headers
from gateway.ratelimit.window import WINDOW_S

__all__ = ["WINDOW_S", "format_reset", "rate_limit_headers"]
