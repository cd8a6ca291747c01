"""Prompt safety factors: how far to trust RouterAI's own count of a prompt when reserving.

The budget reserves a request's prompt before any provider has counted it, with RouterAI's
estimate (`gateway.tokens.prompt_estimate`); the settle then charges what the provider
counted. Providers count with tokenizers of their own, so the reservation multiplies the
estimate by a factor per provider and model, learned from what they report:

    factor = min(MAX, max(MIN, reported / estimated * MARGIN, factor * DECAY))

after each answer with a usage report (`next_factor`; the settle script applies the same
rule in Redis, so every process learns from every answer). A factor follows a provider that
counts more at once, and comes down slowly (5 % an answer) when it counts less. A model
never seen starts at `INITIAL` (conservative: it covers a provider counting up to twice the
estimate from the first request on). The overspend this leaves is bounded in RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping

from redis.exceptions import RedisError

FACTORS_KEY = "gw:prompt-factors"
INITIAL = 2.0
MIN = 1.0
MAX = 4.0
MARGIN = 1.1
DECAY = 0.95

log = logging.getLogger(__name__)


def next_factor(current: float | None, estimated: int, reported: int) -> float:
    """The factor after a provider reported `reported` prompt tokens for a prompt RouterAI
    estimated at `estimated`, rounded as it is stored (6 decimals)."""
    previous = INITIAL if current is None else current
    factor = min(MAX, max(MIN, reported / estimated * MARGIN, previous * DECAY))
    return float(f"{factor:.6f}")


def prompt_reserve(estimated: int, factor: float) -> int:
    """Prompt tokens to reserve for an estimate of `estimated`."""
    return math.ceil(round(estimated * factor, 6))


class PromptFactors:
    """The factors in force, by `provider/model`, as last read; re-read every `refresh_s` by
    `run` (a background task), so a request only looks them up in a dict."""

    def __init__(
        self, read: Callable[[], Awaitable[Mapping[str, float]]], *, refresh_s: float = 2.0
    ) -> None:
        self._read = read
        self._refresh_s = refresh_s
        self._factors: Mapping[str, float] = {}

    def of(self, model_key: str) -> float:
        return self._factors.get(model_key, INITIAL)

    async def refresh(self) -> None:
        self._factors = await self._read()

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except RedisError as exc:  # keep the last factors; they only come down slowly
                log.warning("prompt factors not refreshed: %s", exc)
            await asyncio.sleep(self._refresh_s)
