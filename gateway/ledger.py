"""Stage 7 of the pipeline, settle and record: what a request cost (and what the same tokens
would have cost on the tenant's baseline model), its reservation settled to the actual,
its usage record appended and its metrics observed."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.background import BackgroundTasks
from gateway.budget.admission import AdmissionStore, PromptSample, Settlement
from gateway.errors import GatewayError, QuotaExceeded, RateLimited
from gateway.metrics import Metrics
from gateway.pipelined_redis import ReplyLost
from gateway.pricing.catalog import Catalog, ModelInfo, ModelKind, cost_micro_usd
from gateway.providers.base import Usage
from gateway.request import RequestContext
from gateway.tenancy.context import TenantContext
from gateway.usage import UsageRecorder, usage_record

log = logging.getLogger(__name__)

SETTLE_RETRIES_S = (0, 0.2, 0.5, 1, 2, 4, 8)
"""Waits before each attempt to settle while Redis refuses connections (then the record is
logged as lost; the reservation expires on its own after 30 minutes)."""


class Ledger:
    """Prices requests and finishes them, once each, in a task of their own if need be."""

    def __init__(
        self,
        *,
        admission: AdmissionStore,
        recorder: UsageRecorder,
        catalog: Catalog,
        metrics: Metrics,
        background: BackgroundTasks,
    ) -> None:
        self.admission = admission
        self.recorder = recorder
        self.catalog = catalog
        self.metrics = metrics
        self._background = background

    def price(
        self, ctx: RequestContext, reported: Usage | None, estimated: Usage | None = None
    ) -> None:
        """The cost of the tokens used on the chosen model, and on the baseline model: the
        provider's `reported` usage, else `estimated`, else the prompt alone."""
        candidate = ctx.chosen
        assert candidate is not None
        usage = reported or estimated or Usage(ctx.prompt_tokens, 0)
        ctx.usage = usage
        ctx.prompt_reported = reported.prompt_tokens if reported else 0
        ctx.cost_micro = cost_micro_usd(
            candidate.model, usage.prompt_tokens, usage.completion_tokens
        )
        baseline = candidate.model
        if baseline.kind is not ModelKind.EMBEDDING:
            baseline = self.baseline_model(ctx.tenant) or baseline
        ctx.baseline_micro = cost_micro_usd(baseline, usage.prompt_tokens, usage.completion_tokens)

    def price_cache_hit(self, ctx: RequestContext, usage: Usage) -> None:
        """A hit costs the tenant nothing upstream; its baseline cost is what it saved."""
        ctx.usage, ctx.cost_micro = usage, 0
        baseline = self.baseline_model(ctx.tenant)
        if baseline is not None:
            ctx.baseline_micro = cost_micro_usd(
                baseline, usage.prompt_tokens, usage.completion_tokens
            )

    def baseline_model(self, tenant: TenantContext | None) -> ModelInfo | None:
        """The tenant's baseline model (what the same tokens would have cost there)."""
        if tenant is None:
            return None
        for model in self.catalog.serving(tenant.baseline_model):
            if model.kind is ModelKind.CHAT:
                return model
        return None

    @staticmethod
    def mark_failed(ctx: RequestContext, exc: GatewayError) -> None:
        ctx.status = exc.status
        ctx.error_type = exc.code or exc.type

    async def fail(self, ctx: RequestContext, exc: GatewayError) -> None:
        """Record a request that ended in `exc` (before or after admission)."""
        self.mark_failed(ctx, exc)
        if isinstance(exc, RateLimited | QuotaExceeded):
            self.metrics.rejection(exc.code or exc.type)
        if ctx.admitted is not None and ctx.admitted.admitted and ctx.chosen is not None:
            self.price(ctx, Usage(0, 0))
        await self.finish(ctx)

    async def finish(self, ctx: RequestContext) -> None:
        """Settle the reservation to the actual and append the usage record."""
        if ctx.finished:
            return
        ctx.finished = True
        self._observe(ctx)
        if ctx.tenant is None:
            return
        record = usage_record(ctx)
        admitted = ctx.admitted
        if ctx.admission is None or admitted is None or not admitted.admitted:
            with suppress(RedisConnectionError):  # a refusal's record is best effort
                await self.recorder.append(record)
            return
        usage = ctx.usage or Usage(0, 0)
        sample = None
        if ctx.prompt_reported and ctx.chosen is not None:
            sample = PromptSample(ctx.chosen.label, ctx.prompt_estimate, ctx.prompt_reported)
        settlement = Settlement(ctx.admission, admitted, usage.total_tokens, ctx.cost_micro, sample)
        for delay in SETTLE_RETRIES_S:  # money: keep trying while Redis refuses connections
            if delay:
                await asyncio.sleep(delay)
            try:
                await self.admission.settle(settlement, record)
                return
            except RedisConnectionError:  # refused before anything ran: safe to resend
                continue
            except ReplyLost:  # it may have run: sending it again could count it twice
                log.error(
                    "usage record of %s may be lost: Redis dropped the settle", ctx.request_id
                )
                return
        log.error(
            "usage record of %s lost: Redis unreachable for %.0f s",
            ctx.request_id,
            sum(SETTLE_RETRIES_S),
        )

    def finish_later(self, ctx: RequestContext) -> None:
        """Finish in a task of its own: it must complete even if the caller is cancelled."""
        self._background.spawn(self.finish(ctx))

    def _observe(self, ctx: RequestContext) -> None:
        usage = ctx.usage or Usage(0, 0)
        chosen = ctx.chosen
        self.metrics.request(
            endpoint=ctx.endpoint,
            provider=chosen.provider if chosen else "none",
            model=chosen.model.id if chosen else "none",
            status=ctx.status,
            latency_s=ctx.elapsed_ms / 1000,
            upstream_s=ctx.upstream_s,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_micro=ctx.cost_micro,
            cache=ctx.cache_status,
        )
