"""`RoutingDecision`: why the router ordered the candidates as it did, for headers and logs.

Compact header value (`x-routerai-route`):

    class=simple;strategy=cost;chosen=groq/llama-3.1-8b-instant

JSON (`request_logs.routing`), the candidates best first, at most `LOGGED_CANDIDATES`:

    {"class": "simple", "strategy": "cost", "requested": "auto", "chosen": "groq/…",
     "attempts": 1, "local_first": false,
     "candidates": [{"target": "groq/…", "source": "platform", "score": 0.91,
                     "cost": 1.0, "quality": 0.85, "latency": 0.9}, …]}

When the executor falls over to a later candidate, `served_by` records which one answered
and after how many attempts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson

from gateway.routing.classifier import Complexity
from gateway.routing.scoring import Scored

LOGGED_CANDIDATES = 8


@dataclass(frozen=True, slots=True)
class CandidateScore:
    target: str
    source: str
    score: float
    cost: float
    quality: float
    latency: float

    @classmethod
    def of(cls, scored: Scored) -> CandidateScore:
        option = scored.option
        return cls(
            option.label,
            option.source.value,
            scored.total,
            round(scored.cost, 4),
            round(scored.quality, 4),
            round(scored.latency, 4),
        )


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    complexity: Complexity
    strategy: str
    requested: str
    chosen: str
    scores: tuple[CandidateScore, ...]
    local_first: bool = False
    attempts: int = 1

    def header_value(self) -> str:
        return f"class={self.complexity.value};strategy={self.strategy};chosen={self.chosen}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "class": self.complexity.value,
            "strategy": self.strategy,
            "requested": self.requested,
            "chosen": self.chosen,
            "attempts": self.attempts,
            "local_first": self.local_first,
            "candidates": [
                {
                    "target": s.target,
                    "source": s.source,
                    "score": s.score,
                    "cost": s.cost,
                    "quality": s.quality,
                    "latency": s.latency,
                }
                for s in self.scores[:LOGGED_CANDIDATES]
            ],
        }

    def to_json(self) -> str:
        """The compact JSON string a usage record carries (strings only on the stream)."""
        return orjson.dumps(self.as_dict()).decode()

    def served_by(self, target: str, attempts: int) -> RoutingDecision:
        """The decision after failover: `target` answered on attempt number `attempts`."""
        if target == self.chosen and attempts == self.attempts:
            return self  # the usual case, asked for by every response and usage record
        return replace(self, chosen=target, attempts=attempts)
