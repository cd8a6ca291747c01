"""Live provider health as exponentially weighted moving averages (pure).

Each attempt moves two averages by `alpha` towards its own outcome: the error rate towards
1 (failed) or 0 (succeeded), and, for successful attempts only, the latency towards the
attempt's latency (a fast 500 or a 60-second timeout says nothing about how fast the provider
answers). The error rate starts from 0, a new provider's latency from its first success.
The Lua mirror is `gateway.health.scripts.OBSERVE_SCRIPT`.

Averages only move when traffic flows, so a reader treats a provider not updated for
`STALE_AFTER_S` as unknown rather than trusting a burst of errors from an hour ago.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHA = 0.2
STALE_AFTER_S = 300.0


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """One provider's averages: latency in ms (None before any success), error rate 0-1."""

    latency_ms: float | None
    error_rate: float
    samples: int
    updated_at: float

    def is_fresh(self, now: float, stale_after_s: float = STALE_AFTER_S) -> bool:
        return now - self.updated_at <= stale_after_s


def observe(
    health: ProviderHealth | None, latency_ms: float, ok: bool, now: float, alpha: float = ALPHA
) -> ProviderHealth:
    """`health` after one more attempt."""
    if health is None:
        health = ProviderHealth(None, 0.0, 0, now)
    outcome = 0.0 if ok else 1.0
    error_rate = health.error_rate + alpha * (outcome - health.error_rate)
    latency = health.latency_ms
    if ok:
        latency = latency_ms if latency is None else latency + alpha * (latency_ms - latency)
    return ProviderHealth(latency, error_rate, health.samples + 1, now)
