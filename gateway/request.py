"""The request context: what the pipeline knows about one request, as plain fields.

Each stage reads and fills it; the API builds one per request and renders its headers
from it; the usage record is made from it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.budget.admission import Admission, AdmissionResult
from gateway.cache.semantic import CacheRequest
from gateway.execution import Attempts
from gateway.providers.base import Usage
from gateway.routing.decision import RoutingDecision
from gateway.routing.selection import Candidate
from gateway.tenancy.context import TenantContext


@dataclass(slots=True)
class RequestContext:
    """What the pipeline knows about one request so far."""

    request_id: str
    endpoint: str
    authorization: str | None
    raw_body: bytes = b""  # as received; parsed into `body` once the tenant is known
    body: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    created_at: float = field(default_factory=time.time)
    tenant: TenantContext | None = None
    stream: bool = False
    include_usage: bool = False
    candidates: list[Candidate] = field(default_factory=list)
    chosen: Candidate | None = None
    prompt_tokens: int = 0
    prompt_estimate: int = 0  # what the reservation starts from (`gateway.tokens`)
    prompt_reported: int = 0  # the provider's count of the prompt, when it reported one
    output_reserve: int = 0
    choices: int = 1
    output_cap: int | None = None  # output tokens per choice the admission reserved
    admission: Admission | None = None
    admitted: AdmissionResult | None = None
    usage: Usage | None = None
    cost_micro: int = 0
    baseline_micro: int = 0
    status: int = 200
    error_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    cache_status: str = "miss"
    cache_request: CacheRequest | None = None
    cache_similarity: float | None = None
    ttfb_ms: float | None = None
    upstream_s: float | None = None
    attempts: Attempts = field(default_factory=Attempts)
    decision: RoutingDecision | None = None
    finished: bool = False

    @property
    def model_requested(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def routing(self) -> RoutingDecision | None:
        """The routing decision as it turned out (who answered, after how many attempts)."""
        if self.decision is None or self.chosen is None:
            return self.decision
        return self.decision.served_by(self.chosen.label, self.attempts.tried)

    @property
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000
